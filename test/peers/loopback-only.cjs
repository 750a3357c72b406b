// Preload (`node --require test/peers/loopback-only.cjs ...`) that forces every TCP server of the process onto
// 127.0.0.1. Why: kinesis-local hard-codes 0.0.0.0 and our workplace rule is that servers we run listen on
// loopback only. TLS, HTTP and HTTP/2 servers all inherit net.Server.prototype.listen, so one patch covers them.
'use strict';
/* global require */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS preload / launcher by design
const net = require('node:net');

const LOOPBACK = '127.0.0.1';
const originalListen = net.Server.prototype.listen;

function isPort(value) {
  return typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value));
}

net.Server.prototype.listen = function listenOnLoopback(...args) {
  const first = args[0];
  const callback = typeof args[args.length - 1] === 'function' ? args.pop() : undefined;
  let options;
  if (args.length === 0) {
    options = { port: 0 };
  } else if (isPort(first)) {
    // listen(port[, host][, backlog]): drop whatever host was asked for, keep the backlog.
    const rest = args.slice(1);
    if (typeof rest[0] === 'string' || rest[0] === null || rest[0] === undefined) rest.shift();
    options = { port: Number(first) };
    if (typeof rest[0] === 'number') options.backlog = rest[0];
  } else if (first !== null && typeof first === 'object' && !('_handle' in first) && !('fd' in first) && first.path === undefined) {
    options = { ...first };
  } else {
    // A Unix socket path or an inherited handle: not a TCP bind, nothing to force.
    return originalListen.apply(this, callback ? [...args, callback] : args);
  }
  options.host = LOOPBACK;
  delete options.ipv6Only;
  return callback ? originalListen.call(this, options, callback) : originalListen.call(this, options);
};
