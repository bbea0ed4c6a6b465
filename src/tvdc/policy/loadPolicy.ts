// One entry point for a policy document of either form: XML (Xen ACM) when it starts with '<',
// JSON otherwise. Throws a TvdcError POLICY_INVALID whose message lists every problem as
// `file:line:col: message [rule]` and whose details carry the diagnostics.
import { TvdcError } from '../TvdcError.js';
import type { Policy } from './Policy.js';
import { formatDiagnostic, type PolicyDiagnostic } from './PolicyDiagnostic.js';
import { parseAcmXml, type PolicyParseResult } from './parseAcmXml.js';
import { policyFromJson } from './policyJson.js';

export function parsePolicy(text: string): PolicyParseResult {
  return text.trimStart().startsWith('<') ? parseAcmXml(text) : policyFromJson(text);
}

/** Every problem of a failed parse, formatted one per entry. */
export function policyErrors(file: string, errors: PolicyDiagnostic[]): string[] {
  return errors.map((d) => formatDiagnostic(file, d));
}

export function loadPolicy(text: string, file = 'policy'): Policy {
  const r = parsePolicy(text);
  if (r.ok) return r.policy;
  const lines = policyErrors(file, r.errors);
  throw new TvdcError('POLICY_INVALID', lines.join('\n'), { errors: r.errors, lines });
}
