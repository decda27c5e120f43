// Preloaded by bench/run.ts (node -r) for the row "without ssh2's native addon": makes ssh2's
// optional binding (sshcrypto.node, built by its install script) fail to load, as it does when
// npm skips install scripts; ssh2 then uses its JavaScript and Node crypto paths.
'use strict';
const Module = require('node:module');
const load = Module._load;
Module._load = function (request, ...rest) {
  if (/sshcrypto\.node$/.test(request)) throw new Error('bench: ssh2 native addon hidden');
  return load.call(this, request, ...rest);
};
