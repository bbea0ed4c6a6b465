// The command line of tvdc-cim: wbemcli's single-dash options and positional `verb url [extra]`,
// plus tvdc's double-dash extensions (--json, --pull N, --timeout S, listener options).
import { CommandError } from './CommandError.js';

export const WBEMCLI_VERBS = ['gc', 'gcd', 'dc', 'ec', 'ecn', 'gi', 'ci', 'mi', 'di', 'ei', 'ein', 'ai', 'ain', 'ri', 'rin', 'gp', 'sp', 'cm', 'cmx'] as const;
export const TVDC_VERBS = ['eq', 'listen', 'subscribe', 'unsubscribe'] as const;
export type Verb = (typeof WBEMCLI_VERBS)[number] | (typeof TVDC_VERBS)[number];

export interface CliArgs {
  verb?: string;
  url?: string;
  extra?: string;
  /** Positionals beyond `extra` (only eq and subscribe take them). */
  more: string[];
  help: boolean;
  version: boolean;
  newLines: boolean;
  types: boolean;
  dumpXml: boolean;
  delimitRefs: boolean;
  chunked: boolean;
  noVerify: boolean;
  caCert?: string;
  clientCert?: string;
  clientKey?: string;
  assocClass?: string;
  resultClass?: string;
  role?: string;
  resultRole?: string;
  /** tvdc extensions. */
  json: boolean;
  pull?: number;
  timeoutSeconds?: number;
  port?: number;
  host?: string;
  cert?: string;
  key?: string;
  destination?: string;
  query?: string;
  queryLanguage?: string;
  name?: string;
  sourceNamespace?: string;
  count?: number;
}

export const USAGE = `usage:\ttvdc-cim gc|gcd|dc|ec|ecn|gi|ci|mi|di|ei|ein|ain|ai|rin|ri|gp|sp|cm|cmx|eq
\t        [-nl] [-dx] [-t] [-dr] [-cte] [-h] [-v]
\t        [-noverify] [-cacert <file>] [-clientcert <file>] [-clientkey <file>]
\t        [-ac <assocClass>] [-arc <resultClass>] [-ar <role>] [-arr <resultRole>]
\t        [--json] [--pull <n>] [--timeout <seconds>]
\t        objectPath [prop=value,[...]] [props[,...]]
\ttvdc-cim listen [--port <n>] [--host <addr>] [--cert <file> --key <file>] [--count <n>] [--json]
\ttvdc-cim subscribe URL --destination <listener-url> [--query <wql>] [--name <name>] [--source-namespace <ns>]
\ttvdc-cim unsubscribe URL [--name <name>]
\t        the URL's namespace holds the filter, destination and subscription: root/interop when
\t        the URL names none (e.g. http://user:pw@host:5988); --source-namespace is where the
\t        indications arise (default root/tvdc); --name defaults to tvdc-cim

\texample: tvdc-cim gi 'http://localhost:5988/root/tvdc:TVDc_ComputerSystem.Name="vm1"'
`;

function positiveInt(opt: string, v: string | undefined): number {
  if (v === undefined || !/^[0-9]+$/.test(v) || Number(v) < 1) throw new CommandError(`${opt} needs a positive integer`, true);
  return Number(v);
}

export function parseCliArgs(argv: readonly string[]): CliArgs {
  const a: CliArgs = {
    more: [], help: argv.length === 0, version: false, newLines: false, types: false, dumpXml: false, delimitRefs: false,
    chunked: false, noVerify: false, json: false,
  };
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new CommandError(`${arg} needs a value`, true);
      return v;
    };
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    switch (arg) {
      case '-nl': a.newLines = true; break;
      case '-t': a.types = true; break;
      case '-dx': a.dumpXml = true; break;
      case '-dr': a.delimitRefs = true; break;
      case '-cte': a.chunked = true; break;
      case '-ow': break; // OpenWBEM quirks mode: nothing to do for a conformant client.
      case '-e100': break; // Expect: 100-continue: undici never needs it.
      case '-w': next(); break; // wait time between retries: tvdc retries by its own rules.
      case '-noverify': a.noVerify = true; break;
      case '-cacert': a.caCert = next(); break;
      case '-clientcert': a.clientCert = next(); break;
      case '-clientkey': a.clientKey = next(); break;
      case '-ac': a.assocClass = next(); break;
      case '-arc': a.resultClass = next(); break;
      case '-ar': a.role = next(); break;
      case '-arr': a.resultRole = next(); break;
      case '-h': case '--help': a.help = true; break;
      case '-v': case '--version': a.version = true; break;
      case '--json': a.json = true; break;
      case '--pull': a.pull = positiveInt(arg, next()); break;
      case '--timeout': {
        const v = next();
        if (!/^[0-9]+(\.[0-9]+)?$/.test(v) || Number(v) <= 0) throw new CommandError('--timeout needs a positive number of seconds', true);
        a.timeoutSeconds = Number(v);
        break;
      }
      case '--port': {
        const v = next();
        if (!/^[0-9]+$/.test(v) || Number(v) > 65535) throw new CommandError('--port needs a port number (0-65535)', true);
        a.port = Number(v);
        break;
      }
      case '--host': a.host = next(); break;
      case '--cert': a.cert = next(); break;
      case '--key': a.key = next(); break;
      case '--destination': a.destination = next(); break;
      case '--query': a.query = next(); break;
      case '--lang': a.queryLanguage = next(); break;
      case '--name': a.name = next(); break;
      case '--source-namespace': a.sourceNamespace = next(); break;
      case '--count': a.count = positiveInt(arg, next()); break;
      default:
        throw new CommandError(`unknown option ${arg}`, true);
    }
  }
  if (positional.length > 0) a.verb = positional[0];
  if (positional.length > 1) a.url = positional[1];
  if (positional.length > 2) a.extra = positional[2];
  a.more = positional.slice(3);
  return a;
}
