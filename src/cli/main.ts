#!/usr/bin/env node
// `kedge` entry point: picks the command and hands it the remaining arguments. Commands stay thin.
import { KedgeError } from '../core/errors.js';

type Command = (argv: string[]) => Promise<number>;

const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  ingest: { summary: 'run the local ingest target (Kinesis Data Streams, Firehose and Kinesis Video Streams APIs)', load: async () => (await import('./ingest.js')).ingestCommand },
  demo: { summary: 'run the demo: the local ingest target with demo streams', load: async () => (await import('./demo.js')).demoCommand },
  put: { summary: 'send records (flags, a file or stdin) to a Kinesis or Firehose stream', load: async () => (await import('./put.js')).putCommand },
  video: { summary: 'stream one camera to a Kinesis video stream (test, v4l2, thermal, libcamera, rtsp, file)', load: async () => (await import('./video.js')).videoCommand },
};

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `usage: kedge <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun 'kedge <command> --help' for a command's options.`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`kedge: unknown command '${name}'\n${usage()}\n`);
    return 2;
  }
  return (await command.load())(rest);
}

/**
 * Once a command has returned, everything it opened should be closed and the process should end by itself.
 * If some handle still holds it (a bug, maybe in a dependency), end it anyway rather than hang a script
 * or a service manager waiting for the exit; the timer is unref'd so it never delays a clean exit.
 */
const LINGER_MS = 5_000;

function exitSoon(code: number): void {
  process.exitCode = code;
  setTimeout(() => {
    process.stderr.write(`kedge: still running ${LINGER_MS} ms after the command finished; exiting\n`);
    process.exit(code);
  }, LINGER_MS).unref();
}

main(process.argv.slice(2)).then(
  (code) => {
    exitSoon(code);
  },
  (err: unknown) => {
    const message = err instanceof KedgeError ? `${err.message} (${err.code})` : err instanceof Error ? err.message : String(err);
    process.stderr.write(`kedge: ${message}\n`);
    exitSoon(1);
  },
);
