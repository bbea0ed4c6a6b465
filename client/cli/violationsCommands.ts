// `tvdc violations ...`: the policy violations the hosts reported (denied starts, attaches,
// relabels ...), for the administrators to remediate.
import { MAX_VIOLATION_LIMIT, type Violation } from '../server/ViolationStore.js';
import { API_OPTIONS, ApiClient, query } from './ApiClient.js';
import { EXIT, expectPositional, integerOption, parseOptions, printResult, printTable, type Io, type Verb } from './commandKit.js';

async function list(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, [...API_OPTIONS, 'group', 'host', 'limit'], ['json']);
  expectPositional(positional, 0, 'tvdc violations list [--group G] [--host H] [--limit N]');
  integerOption(opts, 'limit', 1, MAX_VIOLATION_LIMIT);
  const r = await ApiClient.fromOptions(opts).get<{ violations: Violation[] }>(`/api/violations${query({ group: opts.get('group'), host: opts.get('host'), limit: opts.get('limit') })}`);
  printResult(io, opts, r, () => printTable(io, ['ID', 'AT', 'TVDC', 'HOST', 'OPERATION', 'RULE', 'REASON'], r.violations.map((v) => [
    String(v.id), v.at, v.group ?? '-', v.host, v.operation, v.rule.replace(/^TVDC-ACCESS-/, ''), v.reason,
  ])));
  return EXIT.OK;
}

async function watch(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, API_OPTIONS, ['json']);
  expectPositional(positional, 0, 'tvdc violations watch');
  const r = await ApiClient.fromOptions(opts).post<{ enabled: boolean; destination: string | null; hosts: string[] }>('/api/violations/watch');
  printResult(io, opts, r, () => io.out(`hosts report to ${r.destination ?? '(not listening yet)'}; following: ${r.hosts.join(', ') || 'no host yet'}`));
  return EXIT.OK;
}

export const VIOLATIONS_NOUNS: Record<string, Record<string, Verb>> = {
  violations: { list, watch },
};
