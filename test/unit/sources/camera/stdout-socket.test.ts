import { afterEach, describe, expect, it } from 'vitest';
import type { Sleep } from '../../../../src/core/clock.js';
import { ProcessSupervisor, type SupervisedCommand, type SupervisorEvent } from '../../../../src/sources/camera/supervisor.js';
import { nodeScript } from './helpers/node-script.js';


const instantSleep: Sleep = (_ms, signal) => (signal?.aborted ? Promise.reject(signal.reason) : Promise.resolve());

function eventsUntil(events: SupervisorEvent[], predicate: (events: SupervisorEvent[]) => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => (predicate(events) ? resolve() : void setTimeout(check, 10));
    check();
  });
}

/** The supervisor with stdout read into one reused buffer; chunks are copied out as they arrive. */
describe('capture stdout read into one reused buffer (reuseStdoutBuffer)', () => {
  const running: ProcessSupervisor[] = [];
  afterEach(async () => {
    for (const s of running.splice(0)) await s.stop();
  });

  function supervise(command: SupervisedCommand, extra: Partial<ConstructorParameters<typeof ProcessSupervisor>[0]> = {}) {
    const events: SupervisorEvent[] = [];
    const copies: Buffer[] = [];
    const buffers = new Set<ArrayBufferLike>();
    const supervisor = new ProcessSupervisor({
      command,
      reuseStdoutBuffer: 16 * 1024,
      sleep: instantSleep,
      onStdout: (chunk) => {
        buffers.add(chunk.buffer);
        copies.push(Buffer.from(chunk));
      },
      onEvent: (e) => events.push(e),
      ...extra,
    });
    running.push(supervisor);
    supervisor.start();
    return { supervisor, events, copies, buffers };
  }

  it('delivers every byte of a run, in order, through one buffer, before reporting its exit', async () => {
    const { supervisor, events, copies, buffers } = supervise(
      nodeScript('const b = Buffer.alloc(1 << 20); for (let i = 0; i < b.length; i++) b[i] = i % 251; process.stdout.write(b, () => process.exit(0))', { endsAtCleanExit: true }),
    );
    expect(await supervisor.done).toBeUndefined();
    const all = Buffer.concat(copies);
    expect(all.length).toBe(1 << 20);
    expect(all.every((v, i) => v === i % 251)).toBe(true);
    expect(copies.length).toBeGreaterThan(1);
    expect(buffers.size).toBe(1);
    expect(events.map((e) => e.type)).toEqual(['started', 'exited', 'ended']);
    expect(supervisor.stats().bytes).toBe(1 << 20);
  });

  it("stops a process with 'q' and still delivers what it writes on its way out", async () => {
    const { supervisor, copies } = supervise(
      nodeScript("process.stdin.on('data', (d) => { if (String(d).includes('q')) process.stdout.write('finished', () => process.exit(0)); }); process.stdout.write('ready'); setInterval(() => {}, 1000);"),
    );
    await new Promise<void>((resolve) => {
      const check = (): void => (Buffer.concat(copies).includes('ready') ? resolve() : void setTimeout(check, 10));
      check();
    });
    await supervisor.stop();
    expect(supervisor.stats().stoppedBy).toBe('q');
    expect(Buffer.concat(copies).toString()).toBe('readyfinished');
  });

  it('reads each restarted run through a socket of its own', async () => {
    const { supervisor, events, copies } = supervise(nodeScript("process.stdout.write('frame', () => process.exit(3))"));
    await eventsUntil(events, (es) => es.filter((e) => e.type === 'exited').length >= 3);
    await supervisor.stop();
    const exited = events.filter((e): e is Extract<SupervisorEvent, { type: 'exited' }> => e.type === 'exited');
    expect(exited.every((e) => e.bytes === 5)).toBe(true);
    expect(Buffer.concat(copies).toString()).toBe('frame'.repeat(exited.length));
  });

  it('falls back to a pipe, and says so, when the socket cannot be set up', async () => {
    const warnings: string[] = [];
    const logger = { debug: () => {}, info: () => {}, warn: (_o: object, msg: string) => warnings.push(msg), error: () => {} };
    const tmp = process.env.TMPDIR;
    process.env.TMPDIR = '/nonexistent/kedge-test-tmp'; // mkdtemp fails there
    try {
      const { supervisor, copies } = supervise(nodeScript("process.stdout.write('frame', () => process.exit(0))", { endsAtCleanExit: true }), { logger });
      expect(await supervisor.done).toBeUndefined();
      expect(Buffer.concat(copies).toString()).toBe('frame');
    } finally {
      if (tmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = tmp;
    }
    expect(warnings).toEqual(['could not set up the capture socket; reading stdout through a pipe']);
  });

  it('reports a program that cannot be started, without waiting on a stream that never opens', async () => {
    const { supervisor, events } = supervise({ program: '/nonexistent/rpicam-vid', args: [], quitWithQ: false, endsAtCleanExit: false });
    expect(await supervisor.done).toMatchObject({ code: 'PROCESS_SPAWN_FAILED', permanent: true });
    expect(events.map((e) => e.type)).toEqual(['exited', 'gave-up']);
  });
});
