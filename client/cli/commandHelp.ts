// `tvdc NOUN --help` and `tvdc NOUN VERB --help`, written from the verbs themselves, so the help
// cannot drift from what a command accepts: a verb given --help throws, before doing anything,
// the options it reads (parseOptions); given no arguments and a server URL no client accepts, it
// throws its usage line (or, taking no arguments, stops at that URL before any request is sent).
import { API_OPTIONS } from './ApiClient.js';
import { HelpRequest, UsageError, type Io, type Verb } from './commandKit.js';

/** How the server options are given: the line every API verb's help ends with. */
export const SERVER_OPTIONS_HELP =
  'server options: --server URL --user NAME --password PW --cacert FILE (or TVDC_SERVER, TVDC_USER, TVDC_PASSWORD, TVDC_CACERT; --cacert: the CA of an https server)';

/** Parses as a URL, so ApiClient refuses it for its scheme: nothing is ever sent to it. */
const NO_SERVER = 'tvdc-help-probe:';

const PLACEHOLDER: Record<string, string> = { server: 'URL', user: 'NAME', password: 'PW', cacert: 'FILE' };

interface VerbDescription {
  /** `tvdc noun verb ARGS [--option VALUE]...`: the verb's usage with the options it leaves out. */
  line: string;
  /** Whether it talks to the server (reads every server option). */
  server: boolean;
}

const quiet: Io = { out: () => undefined, err: () => undefined };

/** What `verb(args)` throws (or prints, for a verb that answers --help itself). */
async function ask(verb: Verb, args: string[]): Promise<HelpRequest | string> {
  const lines: string[] = [];
  try {
    await verb(args, { out: (l) => lines.push(l), err: quiet.err });
    return lines.join('\n');
  } catch (e) {
    if (e instanceof HelpRequest) return e;
    if (e instanceof UsageError) return e.message;
    return '';
  }
}

function usageLine(text: string): string | undefined {
  return text.startsWith('usage: ') ? text.slice('usage: '.length).split('\n')[0] : undefined;
}

async function describe(name: string, verb: Verb): Promise<VerbDescription> {
  const answer = await ask(verb, ['--help']);
  if (!(answer instanceof HelpRequest)) return { line: usageLine(answer) ?? name, server: false };
  const server = API_OPTIONS.every((o) => answer.valued.includes(o));
  const probed = server ? await ask(verb, ['--server', NO_SERVER]) : '';
  const usage = (typeof probed === 'string' ? usageLine(probed) : undefined) ?? name;
  const own = [
    ...answer.valued.filter((o) => !(server && API_OPTIONS.includes(o))).map((o) => ({ o, text: `[--${o} ${PLACEHOLDER[o] ?? 'VALUE'}]` })),
    ...answer.flags.map((o) => ({ o, text: `[--${o}]` })),
  ].filter(({ o }) => !new RegExp(`--${o}\\b`).test(usage));
  return { line: [usage, ...own.map((x) => x.text)].join(' '), server };
}

/** `tvdc NOUN VERB --help`. */
export async function verbHelp(noun: string, verbName: string, verb: Verb): Promise<string> {
  const d = await describe(`tvdc ${noun} ${verbName}`, verb);
  return [`usage: ${d.line}`, ...(d.server ? [SERVER_OPTIONS_HELP] : [])].join('\n');
}

/** `tvdc NOUN --help`: each verb's usage and options. */
export async function nounHelp(noun: string, verbs: Record<string, Verb>): Promise<string> {
  const lines = [`tvdc ${noun}: its verbs (tvdc ${noun} VERB --help for one):`];
  let server = false;
  for (const [name, verb] of Object.entries(verbs)) {
    const d = await describe(`tvdc ${noun} ${name}`, verb);
    server ||= d.server;
    lines.push(`  ${d.line}`);
  }
  if (server) lines.push(SERVER_OPTIONS_HELP);
  return lines.join('\n');
}
