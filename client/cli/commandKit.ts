// What every `tvdc <noun> <verb>` shares: exit codes, the output sink, option parsing, tables and
// the choice between a human table and JSON.
import { readFileSync } from 'node:fs';

/** Exit codes shared by every command. */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2 } as const;

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

/** One verb: gets its arguments (after `tvdc noun verb`) and returns the exit code. */
export type Verb = (args: string[], io: Io) => Promise<number> | number;

/** A bad command line: printed with the command's name, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * `--help` given to a verb that does not take it itself: thrown by parseOptions, before anything is
 * done, with the options that verb reads, so its help comes from the code that parses them.
 */
export class HelpRequest extends Error {
  override readonly name = 'HelpRequest';
  constructor(
    readonly valued: readonly string[],
    readonly flags: readonly string[],
  ) {
    super('help requested');
  }
}

/** Splits `--name value`, `--name=value` and `--flag` options from positional arguments. */
export function parseOptions(args: string[], valued: readonly string[], flags: readonly string[]): { positional: string[]; opts: Map<string, string> } {
  const positional: string[] = [];
  const opts = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--') || a === '--') {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    if (name === 'help' && !flags.includes('help')) throw new HelpRequest(valued, flags);
    if (flags.includes(name)) {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      opts.set(name, 'true');
    } else if (valued.includes(name)) {
      const v = eq >= 0 ? a.slice(eq + 1) : args[++i];
      if (v === undefined) throw new UsageError(`--${name} needs a value`);
      opts.set(name, v);
    } else throw new UsageError(`unknown option --${name}`);
  }
  return { positional, opts };
}

/**
 * The integer value of --NAME, from `min` to `max`; undefined when not given. Checked here, so a
 * malformed value is a usage error (exit 2) like any other, not a refusal of the server (exit 1).
 */
export function integerOption(opts: Map<string, string>, name: string, min: number, max: number): number | undefined {
  const v = opts.get(name);
  if (v === undefined) return undefined;
  const n = /^\d{1,16}$/.test(v) ? Number(v) : NaN;
  if (!(n >= min && n <= max)) throw new UsageError(`--${name} must be an integer from ${min} to ${max}, not ${v}`);
  return n;
}

/** The time --NAME gives (ISO 8601); undefined when not given; a usage error when it is no time. */
export function timeOption(opts: Map<string, string>, name: string): Date | undefined {
  const v = opts.get(name);
  if (v === undefined) return undefined;
  const t = new Date(v);
  if (Number.isNaN(t.getTime())) throw new UsageError(`--${name} must be an ISO 8601 time like 2026-01-31T12:00:00Z, not ${v}`);
  return t;
}

/** Exactly `count` positional arguments, else a usage error showing `usage`. */
export function expectPositional(positional: readonly string[], count: number, usage: string): string[] {
  if (positional.length !== count) throw new UsageError(`usage: ${usage}`);
  return [...positional];
}

/** Columns padded to their widest cell; a header line, then one line per row. */
export function printTable(io: Io, headers: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  io.out(line(headers));
  for (const r of rows) io.out(line(headers.map((_, i) => r[i] ?? '')));
}

/** `io` with its output lines indented two spaces: a table under a heading line. */
export function indented(io: Io): Io {
  return { out: (l) => io.out('  ' + l), err: io.err };
}

/** Prints `value` as JSON with --json, else runs `human`. */
export function printResult(io: Io, opts: Map<string, string>, value: unknown, human: () => void): void {
  if (opts.has('json')) io.out(JSON.stringify(value, null, 2));
  else human();
}

/** A file an option or argument names, as text; a file that cannot be read is a usage error naming `what`. */
export function readTextFile(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${what} ${file}: ${(e as Error).message}`);
  }
}

/** One line from standard input (a password piped in), without its line end. */
export function readStdinLine(what: string): string {
  // At a terminal, say what is awaited (the line ends with Enter, then Ctrl-D).
  if (process.stdin.isTTY) process.stderr.write(`${what} (one line, then Ctrl-D): `);
  let text: string;
  try {
    text = readFileSync(0, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${what} from standard input: ${(e as Error).message}`);
  }
  const line = text.split(/\r?\n/)[0] ?? '';
  if (!line) throw new UsageError(`no ${what} on standard input`);
  return line;
}
