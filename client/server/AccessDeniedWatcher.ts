// Files every TVDc_AccessDeniedIndication a managed host sends (one per denial by its reference
// monitor) as a violation of that host and its TVDc. The feed says which host it came from (the
// one whose secret path it arrived on), so a host cannot file reports under another's name.
import type { CimInstance } from '../../src/cim/CimInstance.js';
import { CimDateTime } from '../../src/cim/CimDateTime.js';
import type { HostIndication, HostIndicationFeed } from './HostIndicationFeed.js';
import type { ViolationStore } from './ViolationStore.js';

export const ACCESS_DENIED = 'TVDc_AccessDeniedIndication';

function text(i: CimInstance, name: string): string | null {
  const v = i.get(name);
  return v === null || v === undefined ? null : String(v);
}

/** The violation one delivery reports, filed under the host it came from and that host's TVDc now. */
export function recordAccessDenied(violations: ViolationStore, log: (line: string) => void, { host, indication: i, context }: HostIndication): number {
  const when = i.get('EventTime');
  const id = violations.add({
    at: when instanceof CimDateTime ? when.toDate().toISOString() : context.receivedAt.toISOString(),
    receivedAt: context.receivedAt.toISOString(),
    host: host.name,
    group: host.group,
    operation: text(i, 'Operation') ?? 'unknown',
    subject: text(i, 'AlertingManagedElement') ?? '',
    subjectLabel: text(i, 'SubjectLabel'),
    object: text(i, 'ObjectPath'),
    objectLabel: text(i, 'ObjectLabel'),
    rule: text(i, 'MessageID') ?? 'TVDC-ACCESS',
    reason: text(i, 'Reason') ?? text(i, 'Message') ?? '',
  });
  log(`violation #${id} on host ${host.name}${host.group ? ` (TVDc ${host.group})` : ''}: ${text(i, 'Operation')} denied: ${text(i, 'Reason')}`);
  return id;
}

/** Makes the feed subscribe the hosts to their denials and file each one. */
export function watchAccessDenied(feed: HostIndicationFeed, violations: ViolationStore, log: (line: string) => void): void {
  feed.consume(ACCESS_DENIED, (d) => void recordAccessDenied(violations, log, d));
}
