/**
 * The TCP socket under keel's SSH connection, against a real sshd on 127.0.0.1: Nagle's
 * algorithm is off. With it on, a channel opened right after another closed waited for the
 * host's delayed ACK of the close (~40 ms on Linux), and so did the handshake's small packets:
 * measured in bench/, not timed here. What is asserted is the socket option itself.
 */
import { Socket } from 'node:net';
import * as assert from 'uvu/assert';
import { SshConnection } from '../../lib/connection/ssh';
import { sshdUnavailable, startSshdFleet, type SshdFleet } from '../helpers/sshd';
import { suiteUnless } from '../helpers/not-run';

let fleet: SshdFleet;
const test = suiteUnless(sshdUnavailable());
test.before(async () => {
  fleet = await startSshdFleet(1);
});
test.after(async () => {
  await fleet?.stop();
});

test('the connection to the host has TCP_NODELAY set, and runs commands one after another', async () => {
  const calls: { socket: Socket; noDelay: boolean | undefined }[] = [];
  const original = Socket.prototype.setNoDelay;
  Socket.prototype.setNoDelay = function (this: Socket, noDelay?: boolean) {
    calls.push({ socket: this, noDelay });
    return original.call(this, noDelay);
  };
  const host = fleet.hosts[0];
  let conn: SshConnection | undefined;
  try {
    conn = await SshConnection.open({
      name: host.name,
      address: '127.0.0.1',
      port: host.port,
      user: 'root',
      keyFile: fleet.clientKey,
      become: false,
      hostKeys: { file: fleet.knownHosts, acceptNew: false },
      connectTimeoutMs: 5000,
    });
    for (const word of ['one', 'two', 'three']) assert.is((await conn.exec(`echo ${word}`)).stdout, `${word}\n`);
  } finally {
    Socket.prototype.setNoDelay = original;
    await conn?.close();
  }
  const toHost = calls.filter((c) => c.socket.remotePort === host.port);
  assert.ok(toHost.length > 0, `setNoDelay was never called on the socket to port ${host.port}`);
  assert.is(toHost[toHost.length - 1].noDelay, true);
});

test.run();
