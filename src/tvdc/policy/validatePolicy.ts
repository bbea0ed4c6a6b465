// The semantic rules of an sHype policy, checked on the model whatever document it came from:
// unique types and labels, every referenced type declared, conflict sets over Chinese Wall types,
// a defined bootstrap label, `major.minor` versions, resource labels with one STE type, reserved
// names, and `from=` renames that do not collide. These are the checks Xen's policy compiler and
// its Python policy tools made (a duplicate type inside one label is tolerated there and here).
import type { Policy } from './Policy.js';
import type { PolicyDiagnostic, PolicyRule } from './PolicyDiagnostic.js';
import { isPolicyVersion } from './PolicyVersion.js';
import { UNDECLARABLE } from './reservedLabels.js';
import type { SourcePos } from './SourcePos.js';

/** Maps a model path (`vmLabels[1].ste[0]`) to where it was written, when known. */
export type Locate = (path: string) => SourcePos | undefined;

export function validatePolicy(p: Policy, locate: Locate = () => undefined): PolicyDiagnostic[] {
  const out: PolicyDiagnostic[] = [];
  const report = (rule: PolicyRule, path: string, message: string): void => {
    const at = locate(path);
    out.push(at ? { rule, path, message, at } : { rule, path, message });
  };
  const lineOf = (path: string): string => {
    const at = locate(path);
    return at ? ` (first at line ${at.line})` : '';
  };

  if (!p.header.name) report('policy-name', 'header.name', 'policy name is empty');
  else if (p.header.name.includes(':')) report('policy-name', 'header.name', `policy name '${p.header.name}' contains ':'`);
  if (!isPolicyVersion(p.header.version))
    report('version-format', 'header.version', `version '${p.header.version}' is not of the form major.minor`);
  if (p.header.from) {
    if (!p.header.from.name) report('policy-name', 'header.from.name', 'FromPolicy name is empty');
    if (!isPolicyVersion(p.header.from.version))
      report('version-format', 'header.from.version', `FromPolicy version '${p.header.from.version}' is not of the form major.minor`);
  }

  const declare = (types: string[], base: string, kind: string): Set<string> => {
    const seen = new Map<string, number>();
    types.forEach((t, i) => {
      const path = `${base}[${i}]`;
      if (!t) report('empty-type', path, `empty ${kind} type name`);
      else if (UNDECLARABLE.has(t)) report('reserved-name', path, `'${t}' is reserved and cannot be declared as a type`);
      else if (seen.has(t)) report('duplicate-type', path, `${kind} type '${t}' declared more than once${lineOf(`${base}[${seen.get(t)}]`)}`);
      else seen.set(t, i);
    });
    return new Set(seen.keys());
  };
  const ste = declare(p.steTypes, 'steTypes', 'STE');
  const cw = declare(p.cwTypes, 'cwTypes', 'Chinese Wall');

  p.conflictSets.forEach((cs, i) => {
    const base = `conflictSets[${i}]`;
    if (!cs.name) report('conflict-set-name', base, 'conflict set without a name');
    const inSet = new Set<string>();
    cs.types.forEach((t, j) => {
      const path = `${base}.types[${j}]`;
      if (!cw.has(t)) report('conflict-set-type', path, `conflict set '${cs.name}' names '${t}', which is not a declared Chinese Wall type`);
      else if (inSet.has(t)) report('conflict-set-duplicate-type', path, `type '${t}' appears twice in conflict set '${cs.name}'`);
      inSet.add(t);
    });
  });

  const checkName = (name: string, path: string): boolean => {
    if (!name) report('label-name', path, 'label name is empty');
    else if (name.includes(':')) report('label-name', path, `label name '${name}' contains ':'`);
    else if (UNDECLARABLE.has(name)) report('reserved-name', path, `'${name}' is reserved and cannot be declared as a label`);
    else return true;
    return false;
  };

  const vmNames = new Map<string, number>();
  const vmFrom = new Map<string, number>();
  p.vmLabels.forEach((l, i) => {
    const base = `vmLabels[${i}]`;
    if (checkName(l.name, `${base}.name`)) {
      if (vmNames.has(l.name)) report('duplicate-label', `${base}.name`, `VM label '${l.name}' defined more than once${lineOf(`vmLabels[${vmNames.get(l.name)}].name`)}`);
      else vmNames.set(l.name, i);
    }
    if (l.from !== undefined) {
      if (vmFrom.has(l.from)) report('duplicate-rename', `${base}.name`, `two VM labels are renamed from '${l.from}'`);
      vmFrom.set(l.from, i);
    }
    l.ste.forEach((t, j) => {
      if (!ste.has(t)) report('undeclared-type', `${base}.ste[${j}]`, `VM label '${l.name}' uses STE type '${t}', which is not declared`);
    });
    l.cw.forEach((t, j) => {
      if (!cw.has(t)) report('undeclared-type', `${base}.cw[${j}]`, `VM label '${l.name}' uses Chinese Wall type '${t}', which is not declared`);
    });
  });

  const resNames = new Map<string, number>();
  const resFrom = new Set<string>();
  p.resourceLabels.forEach((l, i) => {
    const base = `resourceLabels[${i}]`;
    if (checkName(l.name, `${base}.name`)) {
      if (resNames.has(l.name)) report('duplicate-label', `${base}.name`, `resource label '${l.name}' defined more than once${lineOf(`resourceLabels[${resNames.get(l.name)}].name`)}`);
      else resNames.set(l.name, i);
    }
    if (l.from !== undefined) {
      if (resFrom.has(l.from)) report('duplicate-rename', `${base}.name`, `two resource labels are renamed from '${l.from}'`);
      resFrom.add(l.from);
    }
    if (!l.ste) report('resource-single-type', `${base}.ste`, `resource label '${l.name}' must carry exactly one STE type`);
    else if (!ste.has(l.ste)) report('undeclared-type', `${base}.ste`, `resource label '${l.name}' uses STE type '${l.ste}', which is not declared`);
  });

  if (!p.bootstrap) report('bootstrap-missing', 'bootstrap', 'no bootstrap label (SubjectLabels bootstrap=...) is given');
  else if (!vmNames.has(p.bootstrap)) report('bootstrap-undefined', 'bootstrap', `bootstrap label '${p.bootstrap}' is not a defined VM label`);

  return out;
}
