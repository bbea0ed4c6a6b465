#!/usr/bin/env node
// The tvdc management CLI: `tvdc <noun> <verb> [options]`, and `tvdc server` which runs the
// management server. Each noun is a table of verbs; a verb gets its arguments and an output sink
// and returns the process exit code (0 ok, 1 the server refused or failed, 2 usage).
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isTvdcError } from '../../src/tvdc/TvdcError.js';
import { API_OPTIONS, ApiClient, ApiClientError } from './ApiClient.js';
import { AUDIT_NOUNS } from './auditCommands.js';
import { onClosedPipe } from './closedPipe.js';
import { nounHelp, verbHelp } from './commandHelp.js';
import { EXIT, HelpRequest, UsageError, type Io, type Verb } from './commandKit.js';
import { IMA_NOUNS } from './imaCommands.js';
import { INTEGRITY_NOUNS } from './integrityCommands.js';
import { ISOLATION_NOUNS } from './isolationCommands.js';
import { BACKUP_USAGE, MANAGER_KEY_USAGE, SERVER_USAGE, serverCommand } from './serverCommand.js';
import { USERS_NOUNS } from './usersCommands.js';
import { VMS_NOUNS } from './vmsCommands.js';

/** Nouns and their verbs. */
export const commands: Record<string, Record<string, Verb>> = {
  ...USERS_NOUNS,
  ...AUDIT_NOUNS,
  ...ISOLATION_NOUNS,
  ...VMS_NOUNS,
  ...INTEGRITY_NOUNS,
  ...IMA_NOUNS,
};

/** Commands that are a noun alone. */
const standalone: Record<string, { run: Verb; usage: string }> = {
  server: { run: serverCommand, usage: [SERVER_USAGE, BACKUP_USAGE, MANAGER_KEY_USAGE].map((u) => u.replace(/^usage: /, '')).join('\n  ') },
};

function usage(): string {
  const lines = ['usage: tvdc <noun> <verb> [options]', 'commands:'];
  for (const s of Object.values(standalone)) lines.push(`  ${s.usage}`);
  for (const [noun, verbs] of Object.entries(commands)) lines.push(`  tvdc ${noun} ${Object.keys(verbs).join('|')}`);
  lines.push('API commands take --server URL --user NAME --password PW --cacert FILE (or TVDC_SERVER, TVDC_USER, TVDC_PASSWORD, TVDC_CACERT;');
  lines.push('--cacert: the CA of an https server) and --json. tvdc NOUN --help lists a noun\'s verbs and options.');
  return lines.join('\n');
}

function isHelp(arg: string | undefined): boolean {
  return arg === '--help' || arg === '-h' || arg === 'help';
}

/**
 * The connection options given before the noun (`tvdc --server URL hosts list`), moved after it,
 * where every verb reads them; null when something else leads, which is then a usage error.
 */
function leadingOptionsLast(argv: string[]): string[] | null {
  let i = 0;
  while (i < argv.length && argv[i]!.startsWith('--') && !isHelp(argv[i])) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    if (name === 'json' && eq < 0) i += 1;
    else if (API_OPTIONS.includes(name)) i += eq < 0 ? 2 : 1;
    else return null;
  }
  // Options alone, or one without its value, leave no command to run.
  if (i > 0 && i >= argv.length) return null;
  return i === 0 ? argv : [...argv.slice(i), ...argv.slice(0, i)];
}

/** Runs one command line (without the program name) and returns its exit code. */
export async function main(argv: string[], io: Io = { out: (l) => process.stdout.write(l + '\n'), err: (l) => process.stderr.write(l + '\n') }): Promise<number> {
  const reordered = leadingOptionsLast(argv);
  if (reordered === null) {
    io.err(`tvdc: ${argv[0]} is no command; options come after the noun and verb (tvdc <noun> <verb> [options]), except --server, --user, --password, --cacert and --json, which may also come first`);
    io.err(usage());
    return EXIT.USAGE;
  }
  argv = reordered;
  const [noun, ...afterNoun] = argv;
  if (!noun || noun === '--help' || noun === 'help') {
    io.out(usage());
    return noun ? EXIT.OK : EXIT.USAGE;
  }
  const alone = standalone[noun];
  const verbs = alone ? undefined : commands[noun];
  if (verbs && (afterNoun.length === 0 || isHelp(afterNoun[0]))) {
    const help = await nounHelp(noun, verbs);
    if (afterNoun.length > 0) {
      io.out(help);
      return EXIT.OK;
    }
    io.err(`tvdc ${noun}: which verb?`);
    io.err(help);
    return EXIT.USAGE;
  }
  const verb = alone ? undefined : afterNoun[0];
  const run = alone?.run ?? verbs?.[verb ?? ''];
  const name = ['tvdc', noun, verb].filter(Boolean).join(' ');
  if (!run) {
    io.err(`tvdc: unknown command "${[noun, verb].filter(Boolean).join(' ')}"`);
    io.err(usage());
    return EXIT.USAGE;
  }
  const args = alone ? afterNoun : afterNoun.slice(1);
  try {
    return await run(args, io);
  } catch (e) {
    if (e instanceof HelpRequest) {
      io.out(alone ? `usage: ${alone.usage}` : await verbHelp(noun, verb!, run));
      return EXIT.OK;
    }
    // A verb with verbs of its own (plans targets, policy conflicts) answers --help with its usage.
    if (e instanceof UsageError && args.includes('--help')) {
      io.out(e.message);
      return EXIT.OK;
    }
    if (e instanceof UsageError || isTvdcError(e)) {
      io.err(`${name}: ${e.message}`);
      return EXIT.USAGE;
    }
    if (e instanceof ApiClientError) {
      io.err(`tvdc: ${e.code}: ${e.message}`);
      return EXIT.FAILED;
    }
    throw e;
  } finally {
    await ApiClient.closeAll();
  }
}

function isEntryPoint(): boolean {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  onClosedPipe();
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`tvdc: internal error: ${(e as Error).stack ?? String(e)}\n`);
      process.exitCode = 70;
    },
  );
}
