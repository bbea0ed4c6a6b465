// What "recent" means on the console's overview: the last 24 hours of attestations and violations.
import type { EventView, ViolationView } from './apiViews.js';

export const RECENT_MS = 24 * 3600_000;

export interface RecentCounts {
  untrusted: number;
  unknown: number;
  failed: number;
  violations: number;
}

/** Counts per TVDc (key: the TVDc's name; hosts in no TVDc under the empty string). */
export function countRecent(events: readonly EventView[], violations: readonly ViolationView[], since: Date): Map<string, RecentCounts> {
  const out = new Map<string, RecentCounts>();
  const of = (g: string | null) => {
    const key = g ?? '';
    let c = out.get(key);
    if (!c) out.set(key, (c = { untrusted: 0, unknown: 0, failed: 0, violations: 0 }));
    return c;
  };
  for (const e of events) {
    if (e.kind !== 'attestation') continue;
    if (e.status === 'untrusted' || e.status === 'unknown' || e.status === 'failed') of(e.group)[e.status]++;
  }
  // The violations route has no time filter; they are filtered here by when the host saw them.
  for (const v of violations) {
    if (!(new Date(v.at).getTime() >= since.getTime())) continue;
    of(v.group).violations++;
  }
  return out;
}
