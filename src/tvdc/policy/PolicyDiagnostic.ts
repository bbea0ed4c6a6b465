// One problem found in a policy: which rule it breaks, where (document position and model path),
// and a message a person can act on.
import { formatAt, type SourcePos } from './SourcePos.js';

/** Stable names of the validation rules; tests and clients may match on them. */
export type PolicyRule =
  | 'encoding' // not UTF-8 text: UTF-16, binary, invalid byte sequences
  | 'xml-syntax'
  | 'schema' // element structure, order, required elements and attributes (the XSD)
  | 'version-format'
  | 'policy-name'
  | 'label-name'
  | 'reserved-name'
  | 'empty-type'
  | 'duplicate-type'
  | 'duplicate-label'
  | 'undeclared-type'
  | 'conflict-set-type'
  | 'conflict-set-duplicate-type'
  | 'conflict-set-name'
  | 'bootstrap-missing'
  | 'bootstrap-undefined'
  | 'resource-single-type'
  | 'primary-twice'
  | 'duplicate-rename'
  | 'json-shape';

export interface PolicyDiagnostic {
  rule: PolicyRule;
  message: string;
  /** Path in the model, e.g. `vmLabels[2].ste[0]`; always set. */
  path: string;
  /** Position in the source document, when the policy came from XML. */
  at?: SourcePos;
}

/** `file:line:col: message [rule]`, or `file: path: message [rule]` without a position. */
export function formatDiagnostic(file: string, d: PolicyDiagnostic): string {
  return d.at ? formatAt(file, d.at, `${d.message} [${d.rule}]`) : `${file}: ${d.path}: ${d.message} [${d.rule}]`;
}
