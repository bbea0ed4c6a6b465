// `tvdc audit list`: who changed what through the management server, and which operations were
// refused to whom.
import { MAX_AUDIT_LIMIT, type AuditEntry } from '../server/AuditTrail.js';
import { API_OPTIONS, ApiClient, query } from './ApiClient.js';
import { EXIT, UsageError, expectPositional, integerOption, parseOptions, printResult, printTable, timeOption, type Io, type Verb } from './commandKit.js';

/** Option -> API query parameter; `--by`, since `--user` names who signs in. */
const FILTERS = { group: 'group', by: 'user', action: 'action', outcome: 'outcome', since: 'since', limit: 'limit' } as const;

async function list(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, [...API_OPTIONS, ...Object.keys(FILTERS)], ['json']);
  expectPositional(positional, 0, 'tvdc audit list [--group G] [--by USER] [--action A] [--outcome done|refused|failed] [--since ISO-TIME] [--limit N]');
  integerOption(opts, 'limit', 1, MAX_AUDIT_LIMIT);
  timeOption(opts, 'since');
  if (opts.has('outcome') && !['done', 'refused', 'failed'].includes(opts.get('outcome')!)) throw new UsageError('--outcome must be done, refused or failed');
  const filters = Object.fromEntries(Object.entries(FILTERS).map(([option, param]) => [param, opts.get(option)]));
  const r = await ApiClient.fromOptions(opts).get<{ entries: AuditEntry[] }>(`/api/audit${query(filters)}`);
  printResult(io, opts, r, () => printTable(io, ['ID', 'AT', 'USER', 'TVDC', 'ACTION', 'OUTCOME', 'WHAT'], r.entries.map((e) => [
    String(e.id), e.at, e.user, e.group ?? '-', e.action, e.outcome, e.message,
  ])));
  return EXIT.OK;
}

export const AUDIT_NOUNS: Record<string, Record<string, Verb>> = {
  audit: { list },
};
