/**
 * Runs `kedge put` from source (through tsx) with only the environment given here plus PATH and the
 * given HOME: no AWS setting of the machine running the tests leaks in, and no instance-metadata lookup.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

export interface KedgePutResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runKedgePut(args: readonly string[], options: { home: string; env?: Record<string, string>; stdin?: string }): Promise<KedgePutResult> {
  return new Promise((resolve, reject) => {
    const env = { PATH: process.env.PATH ?? '', HOME: options.home, AWS_EC2_METADATA_DISABLED: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...options.env };
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'put', ...args], { cwd: REPO, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}
