// Preloaded by bench/run.ts (node -r) into keel's process: writes, once, the milliseconds from
// the process's start to its first outgoing TCP connection (the first host's SSH) to the file
// KEEL_BENCH_FIRST_CONNECT names. It only watches: keel itself is unchanged.
'use strict';
const net = require('node:net');
const { appendFileSync } = require('node:fs');
const out = process.env.KEEL_BENCH_FIRST_CONNECT;
const connect = net.Socket.prototype.connect;
let done = false;
net.Socket.prototype.connect = function (...args) {
  if (!done && out) {
    done = true;
    appendFileSync(out, `${performance.now().toFixed(1)}\n`);
  }
  return connect.apply(this, args);
};
