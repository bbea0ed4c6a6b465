// What the reference monitor reports when it refuses something: the provider layer turns it into
// a TVDc_AccessDeniedIndication, the audit log keeps it.
import type { DecisionRule } from './Decision.js';

export interface AccessDeniedEvent {
  /** Audit log row id. */
  id: number;
  time: Date;
  host: string;
  /** The hook that asked, e.g. 'start', 'attach-disk', 'open-channel', 'migrate-in'. */
  operation: string;
  subject: string;
  subjectLabel: string;
  object?: string;
  objectLabel?: string;
  rule: DecisionRule;
  reason: string;
}

export type DenialListener = (event: AccessDeniedEvent) => void;
