import { LocalConnection } from './connection/local';
import { SshConnection } from './connection/ssh';
import type { ResolvedHost } from './inventory';
import type { Connection } from './types';

/** Opens the connection an inventory host asks for: local, or one SSH connection with its host key verified. */
export async function openConnection(host: ResolvedHost, options: { acceptNewHostKeys?: boolean }): Promise<Connection> {
  const c = host.connection;
  if (c.connection === 'local') return new LocalConnection(host.name);
  return SshConnection.open({
    name: host.name,
    address: host.address,
    port: c.port,
    user: c.user,
    keyFile: c.keyFile,
    password: c.password,
    become: c.become,
    becomePassword: c.becomePassword,
    hostKeys: { file: c.knownHostsFile, acceptNew: options.acceptNewHostKeys ?? false },
    connectTimeoutMs: c.connectTimeoutSeconds * 1000,
  });
}
