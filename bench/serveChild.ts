// The server half of a bench in a child process of its own (the bench file run again with
// `--serve ARG`), so the RSS measured is the server's alone and the load generator does not share
// its event loop; and what the parent reads of it.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * Starts `benchFile --serve arg` with this process's Node options; `ready` is the first line the
 * child prints on stdout, as JSON (where it listens). `what` names the child if it exits first.
 */
export function serveChild<T>(benchFile: string, arg: string, what: string): { child: ChildProcess; ready: Promise<T> } {
  const child = spawn(process.execPath, [...process.execArgv, benchFile, '--serve', arg], { stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = new Promise<T>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)) as T);
    });
    child.once('exit', (c) => reject(new Error(`${what} exited ${c}`)));
  });
  return { child, ready };
}

/** A process's resident set size from /proc, in KiB; NaN when absent. */
export function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

export const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
