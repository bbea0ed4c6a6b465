// Security labels as CIM shows and takes them: Xen-API's `ACM:<policy>:<label>` (a valid
// CIM_SecuritySensitivity.SecurityLevel), and on input also a bare label name, resolved against
// the active policy, since scripts pass `MarketAnalysis`.
import { TvdcError } from '../../src/tvdc/TvdcError.js';

/** The label as shown: `ACM:<policy>:<label>`; null for an unlabeled element. */
export function formatLabel(policy: string, label: string | undefined): string | null {
  return label === undefined ? null : `ACM:${policy}:${label}`;
}

/**
 * The bare label name from either input form. A qualified label must name the active policy: a
 * label of another policy means something else here, so it is refused rather than guessed.
 */
export function parseLabel(text: string, activePolicy: string): string {
  const t = text.trim();
  if (t === '') throw new TvdcError('INVALID_ARGUMENT', 'the label is empty (use RemoveLabel to remove a label)');
  if (!t.includes(':')) return t;
  const m = /^ACM:([^:]+):([^:]+)$/.exec(t);
  if (!m) throw new TvdcError('INVALID_ARGUMENT', `label '${t}' is neither a label name nor ACM:<policy>:<label>`);
  if (m[1] !== activePolicy) throw new TvdcError('LABEL_UNKNOWN', `label '${t}' belongs to policy '${m[1]}'; the active policy is '${activePolicy}'`);
  return m[2]!;
}
