// Runs Debian's wbemcli and tvdc-cim (in-process, or as the real binary) and captures what they
// print, so tests can compare the two byte for byte.
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTvdcCim } from '../../../client/cim/wbemcli/TvdcCimCommand.js';

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function run(cmd: string, args: string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, cwd: ROOT, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err && typeof (err as { code?: unknown }).code !== 'number') {
        if ((err as { killed?: boolean }).killed) reject(new Error(`${cmd} ${args.join(' ')} timed out`));
        else reject(err);
        return;
      }
      resolve({ stdout, stderr, code: err ? Number((err as { code: number }).code) : 0 });
    });
  });
}

/** Debian's sblim-wbemcli 1.6.3. Must be asynchronous: the stub server lives in this process. */
export function runWbemcli(args: string[]): Promise<RunResult> {
  return run('wbemcli', args, 20_000);
}

/** tvdc-cim in this process (fast; the same code the binary runs). */
export async function runTvdcCimInProcess(args: string[]): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const code = await runTvdcCim(args, { out: (s) => { stdout += s; }, err: (s) => { stderr += s; } });
  return { stdout, stderr, code };
}

/** The real tvdc-cim binary, through its shebang entry point. */
export function runTvdcCimBinary(args: string[]): Promise<RunResult> {
  return run(process.execPath, ['--import', 'tsx', join(ROOT, 'client', 'cli', 'tvdc-cim.ts'), ...args], 30_000);
}
