// `tvdc segments ...`: network segments (802.1Q VLANs or VXLANs) created on every host of a TVDc
// at once, with a resource label, by the Datacenter Administrator.
import { API_OPTIONS, ApiClient, seg } from './ApiClient.js';
import { EXIT, UsageError, expectPositional, integerOption, parseOptions, printResult, printTable, type Io, type Verb } from './commandKit.js';

interface SegmentAnswer { group: string; segment: string; ok: boolean; results: { host: string; ok: boolean; message: string }[] }

const CREATE_USAGE = 'tvdc segments create GROUP NAME --vlan 1-4094|--vni N [--label LABEL]';

function report(io: Io, opts: Map<string, string>, r: SegmentAnswer): number {
  printResult(io, opts, r, () => printTable(io, ['HOST', 'RESULT', 'MESSAGE'], r.results.map((x) => [x.host, x.ok ? 'ok' : 'failed', x.message])));
  if (!r.ok) io.err(`tvdc: ${r.results.filter((x) => !x.ok).length} of ${r.results.length} hosts failed`);
  return r.ok ? EXIT.OK : EXIT.FAILED;
}

async function create(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, [...API_OPTIONS, 'vlan', 'vni', 'label'], ['json']);
  const [group, name] = expectPositional(positional, 2, CREATE_USAGE);
  // An 802.1Q VLAN ID (0 and 4095 are reserved) or a 24-bit VXLAN network identifier.
  const vlan = integerOption(opts, 'vlan', 1, 4094);
  const vni = integerOption(opts, 'vni', 1, 16_777_215);
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
