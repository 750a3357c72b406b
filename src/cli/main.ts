#!/usr/bin/env node
// `kedge` entry point: picks the command and hands it the remaining arguments. Commands stay thin.
import { KedgeError } from '../core/errors.js';

type Command = (argv: string[]) => Promise<number>;

const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  ingest: { summary: 'run the local ingest target (Kinesis Data Streams + Firehose APIs)', load: async () => (await import('./ingest.js')).ingestCommand },
  demo: { summary: 'run the demo: the local ingest target with demo streams', load: async () => (await import('./demo.js')).demoCommand },
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

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const message = err instanceof KedgeError ? `${err.message} (${err.code})` : err instanceof Error ? err.message : String(err);
    process.stderr.write(`kedge: ${message}\n`);
    process.exitCode = 1;
  },
);
