// `tvdc segments ...`: network segments (802.1Q VLANs or VXLANs) created on every host of a TVDc
// at once, with a resource label, by the Datacenter Administrator.
import { API_OPTIONS, ApiClient, seg } from './ApiClient.js';
import { EXIT, UsageError, expectPositional, parseOptions, printResult, printTable, type Io, type Verb } from './commandKit.js';

interface SegmentAnswer { group: string; segment: string; ok: boolean; results: { host: string; ok: boolean; message: string }[] }

const CREATE_USAGE = 'tvdc segments create GROUP NAME --vlan 1-4094|--vni N [--label LABEL]';

function number(opts: Map<string, string>, name: string): number | undefined {
  const v = opts.get(name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name} must be a number, not ${v}`);
  return Number(v);
}

function report(io: Io, opts: Map<string, string>, r: SegmentAnswer): number {
  printResult(io, opts, r, () => printTable(io, ['HOST', 'RESULT', 'MESSAGE'], r.results.map((x) => [x.host, x.ok ? 'ok' : 'failed', x.message])));
  if (!r.ok) io.err(`tvdc: ${r.results.filter((x) => !x.ok).length} of ${r.results.length} hosts failed`);
  return r.ok ? EXIT.OK : EXIT.FAILED;
}

async function create(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, [...API_OPTIONS, 'vlan', 'vni', 'label'], ['json']);
  const [group, name] = expectPositional(positional, 2, CREATE_USAGE);
  const vlan = number(opts, 'vlan');
  const vni = number(opts, 'vni');
  if ((vlan === undefined) === (vni === undefined)) throw new UsageError(`give one of --vlan and --vni: ${CREATE_USAGE}`);
  const r = await ApiClient.fromOptions(opts).post<SegmentAnswer>(`/api/groups/${seg(group!)}/segments`, {
    name, ...(vlan !== undefined ? { vlan } : { vni }), ...(opts.has('label') ? { label: opts.get('label') } : {}),
  });
  return report(io, opts, r);
}

async function remove(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, API_OPTIONS, ['json']);
  const [group, name] = expectPositional(positional, 2, 'tvdc segments remove GROUP NAME');
  return report(io, opts, await ApiClient.fromOptions(opts).del<SegmentAnswer>(`/api/groups/${seg(group!)}/segments/${seg(name!)}`));
}

export const SEGMENTS_NOUNS: Record<string, Record<string, Verb>> = {
  segments: { create, remove },
};
