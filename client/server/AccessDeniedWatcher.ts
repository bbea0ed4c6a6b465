// Files every TVDc_AccessDeniedIndication a managed host sends (one per denial by its reference
// monitor) as a violation of that host and its TVDc. The feed says which host it came from (the
// one whose secret path it arrived on), so a host cannot file reports under another's name.
import { CimDateTime } from '../../src/cim/CimDateTime.js';
import { propertyText } from './HostCim.js';
import type { HostIndication, HostIndicationFeed } from './HostIndicationFeed.js';
import type { ViolationStore } from './ViolationStore.js';

export const ACCESS_DENIED = 'TVDc_AccessDeniedIndication';

/** The violation one delivery reports, filed under the host it came from and that host's TVDc now. */
export function recordAccessDenied(violations: ViolationStore, log: (line: string) => void, { host, indication: i, context }: HostIndication): number {
  const when = i.get('EventTime');
  const id = violations.add({
    at: when instanceof CimDateTime ? when.toDate().toISOString() : context.receivedAt.toISOString(),
    receivedAt: context.receivedAt.toISOString(),
    host: host.name,
    group: host.group,
    operation: propertyText(i, 'Operation') ?? 'unknown',
    subject: propertyText(i, 'AlertingManagedElement') ?? '',
    subjectLabel: propertyText(i, 'SubjectLabel'),
    object: propertyText(i, 'ObjectPath'),
    objectLabel: propertyText(i, 'ObjectLabel'),
    rule: propertyText(i, 'MessageID') ?? 'TVDC-ACCESS',
    reason: propertyText(i, 'Reason') ?? propertyText(i, 'Message') ?? '',
  });
  log(`violation #${id} on host ${host.name}${host.group ? ` (TVDc ${host.group})` : ''}: ${propertyText(i, 'Operation')} denied: ${propertyText(i, 'Reason')}`);
  return id;
}

/** Makes the feed subscribe the hosts to their denials and file each one. */
export function watchAccessDenied(feed: HostIndicationFeed, violations: ViolationStore, log: (line: string) => void): void {
  feed.consume(ACCESS_DENIED, (d) => void recordAccessDenied(violations, log, d));
}
