// Runs kinesalite (CommonJS, in-memory by default) in its own process on 127.0.0.1:0 and prints its URL.
// argv[2] is a JSON object of kinesalite options (createStreamMs, path, ...).
'use strict';
/* global require */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS preload / launcher by design
const kinesalite = require('kinesalite');

const options = JSON.parse(process.argv[2] || '{}');
const server = kinesalite(options);
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`kinesalite listening on http://127.0.0.1:${server.address().port}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
