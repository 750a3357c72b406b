import { afterEach, describe, expect, it } from 'vitest';
import type { Clock, Sleep } from '../../../../src/core/clock.js';
import { CameraCapture } from '../../../../src/sources/camera/capture.js';
import type { CaptureCommand } from '../../../../src/sources/camera/commands.js';
import type { CaptureLogger } from '../../../../src/sources/camera/stderr-log.js';
import { ProcessSupervisor, type SupervisedCommand, type SupervisorEvent } from '../../../../src/sources/camera/supervisor.js';
import { nodeScript } from './helpers/node-script.js';
import { timerSleep } from '../../../../src/retry/sleep.js';
import { seededRng } from '../../../helpers/seeded-rng.js';


const asCaptureCommand = (c: SupervisedCommand): CaptureCommand => ({ ...c, description: 'test script', video: 'copy', encoder: undefined, fps: undefined });

/** A Sleep that records the delays it was asked for and returns at once (restarts then happen back to back). */
function recordingSleep(): Sleep & { delays: number[] } {
  const delays: number[] = [];
  const sleep = ((ms: number, signal?: AbortSignal) => {
    delays.push(ms);
    return signal?.aborted ? Promise.reject(signal.reason) : Promise.resolve();
  }) as Sleep & { delays: number[] };
  sleep.delays = delays;
  return sleep;
}

/** A clock that moves `stepMs` on every reading: every run then "lasts" stepMs. */
function steppingClock(stepMs: number): Clock {
  let now = 1_700_000_000_000;
  return { now: () => (now += stepMs) };
}

function collectingLogger(): CaptureLogger & { lines: Array<{ level: string; obj: Record<string, unknown>; msg: string }> } {
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg: string }> = [];
  const at = (level: string) => (obj: object, msg: string) => lines.push({ level, obj: obj as Record<string, unknown>, msg });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolves once `predicate` holds for the events seen so far. */
function eventsUntil(events: SupervisorEvent[], predicate: (events: SupervisorEvent[]) => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => (predicate(events) ? resolve() : void setTimeout(check, 10));
    check();
  });
}

/** Resolves once the script has written 'ready' (its signal handlers are installed by then). */
function untilReady(stdout: Buffer[]): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => (Buffer.concat(stdout).includes('ready') ? resolve() : void setTimeout(check, 10));
    check();
  });
}

describe('capture process supervision (real child processes)', () => {
  const running: ProcessSupervisor[] = [];
  const pids: number[] = [];
  afterEach(async () => {
    for (const s of running.splice(0)) await s.stop();
    for (const pid of pids.splice(0)) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  });

  function supervise(options: ConstructorParameters<typeof ProcessSupervisor>[0]): { supervisor: ProcessSupervisor; events: SupervisorEvent[]; stdout: Buffer[] } {
    const events: SupervisorEvent[] = [];
    const stdout: Buffer[] = [];
    const supervisor = new ProcessSupervisor({
      ...options,
      onStdout: (chunk) => {
        stdout.push(chunk);
        options.onStdout(chunk);
      },
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'started') pids.push(e.pid);
        options.onEvent?.(e);
      },
    });
    running.push(supervisor);
    supervisor.start();
    return { supervisor, events, stdout };
  }

  it('restarts a process that keeps dying, after exponentially growing delays with jitter from the injected RNG', async () => {
    const sleep = recordingSleep();
    const { supervisor, events } = supervise({
      command: nodeScript("process.stdout.write('frame'); process.stderr.write('encoder crashed\\n'); process.exit(3)"),
      onStdout: () => {},
      sleep,
      rng: seededRng(42),
      clock: steppingClock(0),
      backoff: { baseMs: 100, capMs: 800 },
    });
    await eventsUntil(events, (es) => es.filter((e) => e.type === 'restarting').length >= 5);
    await supervisor.stop();
    const expectedRng = seededRng(42);
    const ceilings = [100, 200, 400, 800, 800];
    expect(sleep.delays.slice(0, 5)).toEqual(ceilings.map((c) => Math.round(c / 2 + (expectedRng.next() * c) / 2)));
    const exits = events.filter((e) => e.type === 'exited');
    expect(exits[0]).toMatchObject({ exitCode: 3, bytes: 5, failure: { code: 'PROCESS_EXITED', permanent: false } });
    expect((exits[0] as { failure: { message: string } }).failure.message).toContain('encoder crashed');
    expect(supervisor.stats().restarts).toBeGreaterThanOrEqual(5);
  });

  it('starts the backoff over after a run that delivered video for healthyRunMs', async () => {
    const sleep = recordingSleep();
    const { supervisor, events } = supervise({
      command: nodeScript("process.stdout.write('frame'); process.exit(1)"),
      onStdout: () => {},
      sleep,
      rng: { next: () => 1 },
      clock: steppingClock(6_000),
      backoff: { baseMs: 100, capMs: 800, healthyRunMs: 5_000 },
    });
    await eventsUntil(events, (es) => es.filter((e) => e.type === 'restarting').length >= 4);
    await supervisor.stop();
    expect(sleep.delays.slice(0, 4)).toEqual([100, 100, 100, 100]);
  });

  it('delivers every stdout byte of a run before reporting its exit', async () => {
    const { supervisor, events, stdout } = supervise({
      command: nodeScript("process.stdout.write(Buffer.alloc(1 << 20, 7), () => process.exit(0))", { endsAtCleanExit: true }),
      onStdout: () => {},
    });
    expect(await supervisor.done).toBeUndefined();
    expect(Buffer.concat(stdout).length).toBe(1 << 20);
    expect(events.map((e) => e.type)).toEqual(['started', 'exited', 'ended']);
  });

  it("ends a process with 'q' on stdin when it honours it, so it can finish its output", async () => {
    const { supervisor, events, stdout } = supervise({
      command: nodeScript("process.stdin.on('data', (d) => { if (String(d).includes('q')) process.stdout.write('finished', () => process.exit(0)); }); process.stdout.write('ready'); setInterval(() => {}, 1000);"),
      onStdout: () => {},
    });
    await untilReady(stdout);
    const pid = supervisor.stats().pid!;
    await supervisor.stop();
    expect(supervisor.stats().stoppedBy).toBe('q');
    expect(Buffer.concat(stdout).toString()).toBe('readyfinished');
    expect(isAlive(pid)).toBe(false);
    expect(events.filter((e) => e.type === 'restarting')).toEqual([]);
  });

  it('escalates to SIGTERM when q and SIGINT are ignored', async () => {
    const { supervisor, stdout } = supervise({
      command: nodeScript("process.on('SIGINT', () => {}); process.stdout.write('ready'); setInterval(() => {}, 1000);"),
      onStdout: () => {},
      stopTimeouts: { quitMs: 150, interruptMs: 150, terminateMs: 2_000 },
    });
    await untilReady(stdout);
    const pid = supervisor.stats().pid!;
    await supervisor.stop();
    expect(supervisor.stats().stoppedBy).toBe('SIGTERM');
    expect(isAlive(pid)).toBe(false);
  });

  it('kills with SIGKILL a process that ignores q, SIGINT and SIGTERM, and leaves no process behind', async () => {
    const { supervisor, stdout } = supervise({
      command: nodeScript("process.on('SIGINT', () => {}); process.on('SIGTERM', () => {}); process.stdout.write('ready'); setInterval(() => {}, 1000);"),
      onStdout: () => {},
      stopTimeouts: { quitMs: 100, interruptMs: 100, terminateMs: 100 },
    });
    await untilReady(stdout);
    const pid = supervisor.stats().pid!;
    await supervisor.stop();
    expect(supervisor.stats().stoppedBy).toBe('SIGKILL');
    expect(isAlive(pid)).toBe(false);
    expect(supervisor.stats().state).toBe('stopped');
  });

  it('stops at once when stopped during the wait before a restart', async () => {
    const { supervisor, events } = supervise({
      command: nodeScript('process.exit(1)'),
      onStdout: () => {},
      sleep: timerSleep,
      backoff: { baseMs: 600_000, capMs: 600_000 },
    });
    await eventsUntil(events, (es) => es.some((e) => e.type === 'restarting'));
    await supervisor.stop();
    expect(await supervisor.done).toBeUndefined();
    expect(supervisor.stats().runs).toBe(1);
  });

  it('logs at most the budgeted stderr lines per window and counts the rest', async () => {
    const logger = collectingLogger();
    const { supervisor, events } = supervise({
      command: nodeScript("for (let i = 0; i < 500; i++) process.stderr.write('warning ' + i + '\\n');", { endsAtCleanExit: true }),
      onStdout: () => {},
      logger,
      clock: steppingClock(0),
      stderrBudget: { lines: 10, windowMs: 60_000 },
    });
    await supervisor.done;
    const logged = logger.lines.filter((l) => l.msg === 'capture process stderr');
    expect(logged).toHaveLength(10);
    expect(logged[0]!.obj.stderr).toBe('warning 0');
    expect(logger.lines.find((l) => l.msg.includes('suppressed'))?.obj.suppressed).toBe(490);
    expect(supervisor.stats().stderrSuppressed).toBe(490);
    expect(events.at(-1)).toEqual({ type: 'ended' });
  });
});

describe('camera failures with stable codes (real child processes)', () => {
  const captures: CameraCapture[] = [];
  afterEach(async () => {
    for (const c of captures.splice(0)) await c.stop();
  });

  async function capture(source: Parameters<typeof CameraCapture.prepare>[0]['source'], command: SupervisedCommand, sleep: Sleep = recordingSleep()): Promise<{ capture: CameraCapture; events: SupervisorEvent[] }> {
    const c = await CameraCapture.prepare({ source, command: asCaptureCommand(command), sleep, rng: seededRng(1), clock: steppingClock(0) });
    captures.push(c);
    const events: SupervisorEvent[] = [];
    c.start({ onData: () => {}, onEvent: (e) => events.push(e) });
    return { capture: c, events };
  }

  it('gives up with CAMERA_NOT_FOUND when the device vanished before any video, instead of restarting for ever', async () => {
    const { capture: c, events } = await capture(
      { kind: 'v4l2', device: '/dev/video9' },
      nodeScript("process.stderr.write('[video4linux2,v4l2 @ 0x5596] Cannot open video device /dev/video9: No such file or directory\\n'); process.exit(1)"),
    );
    const error = await c.done;
    expect(error).toMatchObject({ code: 'CAMERA_NOT_FOUND' });
    expect(error!.message).toContain('/dev/video9');
    expect(events.filter((e) => e.type === 'started')).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ type: 'gave-up' });
  });

  it('keeps restarting a camera that was unplugged after video flowed (it may come back)', async () => {
    const { capture: c, events } = await capture(
      { kind: 'v4l2', device: '/dev/video9' },
      nodeScript("process.stdout.write('frames'); process.stderr.write('/dev/video9: No such file or directory\\n'); process.exit(1)"),
    );
    await eventsUntil(events, (es) => es.filter((e) => e.type === 'restarting').length >= 3);
    const restarting = events.find((e) => e.type === 'restarting') as Extract<SupervisorEvent, { type: 'restarting' }>;
    expect(restarting.failure.code).toBe('CAMERA_NOT_FOUND');
    await c.stop();
    expect(await c.done).toBeUndefined();
  });

  it('retries a refused RTSP connection (a camera still booting) and names it RTSP_CONNECTION_REFUSED', async () => {
    const { capture: c, events } = await capture(
      { kind: 'rtsp', url: 'rtsp://admin:secret@127.0.0.1:1/live' },
      nodeScript("process.stderr.write('rtsp://admin:secret@127.0.0.1:1/live: Connection refused\\n'); process.exit(1)"),
    );
    await eventsUntil(events, (es) => es.filter((e) => e.type === 'restarting').length >= 2);
    const restarting = events.find((e) => e.type === 'restarting') as Extract<SupervisorEvent, { type: 'restarting' }>;
    expect(restarting.failure).toMatchObject({ code: 'RTSP_CONNECTION_REFUSED', permanent: false });
    await c.stop();
  });

  it('gives up with RTSP_NOT_FOUND on a 404 before any video', async () => {
    const { capture: c } = await capture({ kind: 'rtsp', url: 'rtsp://127.0.0.1/wrong' }, nodeScript("process.stderr.write('[rtsp @ 0x55] method DESCRIBE failed: 404 Not Found\\n'); process.exit(1)"));
    expect(await c.done).toMatchObject({ code: 'RTSP_NOT_FOUND', message: expect.stringContaining('stream path') });
  });

  it('reports a capture tool that is not installed as CAMERA_TOOL_NOT_FOUND', async () => {
    const { capture: c, events } = await capture({ kind: 'libcamera' }, { program: '/nonexistent/rpicam-vid', args: [], quitWithQ: false, endsAtCleanExit: false });
    expect(await c.done).toMatchObject({ code: 'CAMERA_TOOL_NOT_FOUND' });
    expect(events.filter((e) => e.type === 'restarting')).toEqual([]);
  });
});
