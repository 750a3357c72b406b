/**
 * A video producer in a child process, driven over IPC: the outage test runs the producer here so that the
 * test process stays responsive whatever the producer does, and the bench measures this process's own CPU
 * and memory (ffmpeg is a separate process).
 *
 *   node [--import tsx] camera-producer-child.mjs MODULE OPTIONS_JSON
 *
 * MODULE exports createVideoProducer (src/index.ts under tsx, or dist/index.js). Messages out:
 * {type:'ready', command}, {type:'event', event}, {type:'reply', id, value} / {type:'reply', id, error}.
 * Messages in: {id, cmd: 'stats' | 'stopCapture' | 'flush' | 'usage' | 'close', timeoutMs?}.
 */
/* global AbortSignal */
import { pathToFileURL } from 'node:url';

const [modulePath, optionsJson] = process.argv.slice(2);
const { createVideoProducer } = await import(pathToFileURL(modulePath).href);
const options = JSON.parse(optionsJson);

const plain = (value) => JSON.parse(JSON.stringify(value, (_k, v) => (v instanceof Error ? { message: v.message, code: v.code } : v)));

let producer;
try {
  producer = await createVideoProducer(options);
} catch (error) {
  process.send({ type: 'failed', error: plain(error) });
  process.disconnect();
  process.exit(1);
}
producer.on((event) => process.send({ type: 'event', event: plain(event) }));
process.send({ type: 'ready', command: plain(producer.command) });

process.on('message', async (message) => {
  const reply = (value) => process.send({ type: 'reply', id: message.id, value: plain(value) });
  try {
    switch (message.cmd) {
      case 'stats':
        return reply(producer.stats());
      case 'usage':
        return reply({ cpu: process.cpuUsage(), memory: process.memoryUsage() });
      case 'stopCapture':
        await producer.stopCapture();
        return reply(null);
      case 'flush':
        return reply(await producer.flush(AbortSignal.timeout(message.timeoutMs ?? 60_000)));
      case 'close':
        await producer.close();
        reply(null);
        process.disconnect();
        return undefined;
      default:
        throw new Error(`unknown command ${message.cmd}`);
    }
  } catch (error) {
    process.send({ type: 'reply', id: message.id, error: plain(error) });
  }
});
