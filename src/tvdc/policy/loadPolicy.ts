// One entry point for a policy document of either form: XML (Xen ACM) when it starts with '<',
// JSON otherwise. Throws a TvdcError POLICY_INVALID whose message lists every problem as
// `file:line:col: message [rule]` and whose details carry the diagnostics.
import { TvdcError } from '../TvdcError.js';
import type { Policy } from './Policy.js';
import { formatDiagnostic, type PolicyDiagnostic } from './PolicyDiagnostic.js';
import { parseAcmXml, type PolicyParseResult } from './parseAcmXml.js';
import { policyFromJson } from './policyJson.js';

export function parsePolicy(text: string): PolicyParseResult {
  const notText = encodingProblem(text);
  if (notText) return { ok: false, errors: [notText] };
  return text.trimStart().startsWith('<') ? parseAcmXml(text) : policyFromJson(text);
}

/**
 * A policy is UTF-8 text. Read as UTF-8, a UTF-16 file shows NULs between its characters (and its
 * byte order mark as two U+FFFD), a binary file or bad UTF-8 shows U+FFFD or control characters.
 * Either would otherwise be blamed on the XML or JSON syntax, far from the real cause.
 */
function encodingProblem(text: string): PolicyDiagnostic | undefined {
  const start = { line: 1, col: 1 };
  const head = text.slice(0, 64);
  const bom = head.startsWith('\uFFFD\uFFFD');
  const body = bom ? head.slice(2) : head;
  if (/^(?:[^\0]\0){4}|^(?:\0[^\0]){4}/.test(body)) {
    return { rule: 'encoding', path: '', at: start, message: `the file is UTF-16 ${bom ? 'with' : 'without'} a byte order mark; save it as UTF-8` };
  }
  // Tab, line feed and carriage return are the only control characters XML and JSON allow.
  const bad = /[\uFFFD\0-\x08\x0B\x0C\x0E-\x1F]/.exec(text);
  if (!bad) return undefined;
  const before = text.slice(0, bad.index);
  const line = before.split('\n').length;
  const col = bad.index - before.lastIndexOf('\n');
  const what = bad[0] === '\uFFFD' ? 'an invalid UTF-8 byte sequence (or U+FFFD)' : `the control character U+${bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  return { rule: 'encoding', path: '', at: { line, col }, message: `not UTF-8 text: ${what}; a policy is an XML or JSON text file in UTF-8` };
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
