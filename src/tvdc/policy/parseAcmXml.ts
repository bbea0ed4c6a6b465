// Reads a Xen ACM (sHype) policy document (security_policy.xsd, namespace http://www.ibm.com) into
// the policy model. The element structure is checked as the schema does, then the semantic rules
// (validatePolicy); every problem comes back with its rule and its line and column.
import type { ConflictSet, Policy, PolicyHeader, ResourceLabel, VmLabel } from './Policy.js';
import type { PolicyDiagnostic, PolicyRule } from './PolicyDiagnostic.js';
import { validatePolicy } from './validatePolicy.js';
import { parseXmlTree, XmlSyntaxError, type XmlElement } from './XmlTree.js';
import type { SourcePos } from './SourcePos.js';

export const ACM_NAMESPACE = 'http://www.ibm.com';
const PRIMARY = 'PrimaryPolicyComponent';

export type PolicyParseResult = { ok: true; policy: Policy } | { ok: false; errors: PolicyDiagnostic[] };

interface Slot {
  name: string;
  min: number;
  max: number;
}

class Reader {
  readonly errors: PolicyDiagnostic[] = [];
  readonly positions = new Map<string, SourcePos>();

  report(rule: PolicyRule, at: SourcePos, path: string, message: string): void {
    this.errors.push({ rule, path, message, at });
  }

  /**
   * Checks that `el`'s children follow the sequence `slots` (names, in order, with occurrence
   * bounds) and returns them grouped by name. Anything else is a schema error.
   */
  sequence(el: XmlElement, slots: Slot[], path: string): Map<string, XmlElement[]> {
    const got = new Map<string, XmlElement[]>(slots.map((s) => [s.name, []]));
    if (el.text.trim()) this.report('schema', el.at, path, `'${el.name}' holds elements only, not text ('${el.text.trim().slice(0, 20)}')`);
    let k = 0;
    for (const child of el.children) {
      if (child.uri !== ACM_NAMESPACE) {
        this.report('schema', child.at, path, `element '${child.name}' is not in namespace ${ACM_NAMESPACE}`);
        continue;
      }
      while (k < slots.length && slots[k]!.name !== child.name) k++;
      const slot = slots[k];
      if (!slot) {
        const known = slots.some((s) => s.name === child.name);
        this.report('schema', child.at, path, known ? `element '${child.name}' is out of order in '${el.name}'` : `unexpected element '${child.name}' in '${el.name}'`);
        // Resynchronise: later children are judged from the start again.
        k = 0;
        continue;
      }
      const list = got.get(slot.name)!;
      if (list.length >= slot.max) this.report('schema', child.at, path, `'${el.name}' allows at most ${slot.max} '${slot.name}'`);
      else list.push(child);
    }
    for (const s of slots) {
      if (got.get(s.name)!.length < s.min) this.report('schema', el.at, path, `'${el.name}' is missing required element '${s.name}'`);
    }
    return got;
  }

  noChildren(el: XmlElement, path: string): string {
    for (const c of el.children) this.report('schema', c.at, path, `'${el.name}' holds text only, not element '${c.name}'`);
    return el.text.trim();
  }

  onlyAttrs(el: XmlElement, allowed: string[], path: string): void {
    for (const a of el.attrs.keys()) {
      // xsi:schemaLocation and friends are how documents point at the schema; they are not policy.
      if (a === 'schemaLocation' || a === 'noNamespaceSchemaLocation') continue;
      if (!allowed.includes(a)) this.report('schema', el.at, path, `attribute '${a}' is not allowed on '${el.name}'`);
    }
  }

  /** Text of each <Type> child; empty ones are kept (callers decide) with their positions recorded. */
  types(el: XmlElement, path: string): { value: string; at: SourcePos }[] {
    const slots = this.sequence(el, [{ name: 'Type', min: 1, max: Infinity }], path);
    return slots.get('Type')!.map((t) => ({ value: this.noChildren(t, path), at: t.at }));
  }
}

export function parseAcmXml(xml: string): PolicyParseResult {
  let root: XmlElement;
  try {
    root = parseXmlTree(xml);
  } catch (e) {
    if (e instanceof XmlSyntaxError) return { ok: false, errors: [{ rule: 'xml-syntax', path: '', message: e.message, at: e.at }] };
    throw e;
  }
  const r = new Reader();
  if (root.name !== 'SecurityPolicyDefinition' || root.uri !== ACM_NAMESPACE) {
    r.report('schema', root.at, '', `root element must be SecurityPolicyDefinition in namespace ${ACM_NAMESPACE}, not '${root.name}'`);
    return { ok: false, errors: r.errors };
  }
  r.onlyAttrs(root, [], '');
  const top = r.sequence(
    root,
    [
      { name: 'PolicyHeader', min: 1, max: 1 },
      { name: 'SimpleTypeEnforcement', min: 0, max: 1 },
      { name: 'ChineseWall', min: 0, max: 1 },
      { name: 'SecurityLabelTemplate', min: 1, max: 1 },
    ],
    '',
  );

  const header = readHeader(r, top.get('PolicyHeader')![0]);
  const policy: Policy = {
    header,
    hasSte: false,
    hasChineseWall: false,
    steTypes: [],
    cwTypes: [],
    conflictSets: [],
    bootstrap: '',
    vmLabels: [],
    resourceLabels: [],
  };

  const steEl = top.get('SimpleTypeEnforcement')![0];
  if (steEl) {
    policy.hasSte = true;
    readPriority(r, steEl, policy, 'ste');
    const s = r.sequence(steEl, [{ name: 'SimpleTypeEnforcementTypes', min: 1, max: 1 }], 'steTypes');
    const typesEl = s.get('SimpleTypeEnforcementTypes')![0];
    if (typesEl)
      r.types(typesEl, 'steTypes').forEach((t, i) => {
        policy.steTypes.push(t.value);
        r.positions.set(`steTypes[${i}]`, t.at);
      });
  }

  const cwEl = top.get('ChineseWall')![0];
  if (cwEl) {
    policy.hasChineseWall = true;
    readPriority(r, cwEl, policy, 'chwall');
    const s = r.sequence(
      cwEl,
      [
        { name: 'ChineseWallTypes', min: 1, max: 1 },
        { name: 'ConflictSets', min: 0, max: 1 },
      ],
      'cwTypes',
    );
    const typesEl = s.get('ChineseWallTypes')![0];
    if (typesEl)
      r.types(typesEl, 'cwTypes').forEach((t, i) => {
        policy.cwTypes.push(t.value);
        r.positions.set(`cwTypes[${i}]`, t.at);
      });
    const setsEl = s.get('ConflictSets')![0];
    if (setsEl) {
      const sets = r.sequence(setsEl, [{ name: 'Conflict', min: 1, max: Infinity }], 'conflictSets');
      sets.get('Conflict')!.forEach((c, i) => {
        const base = `conflictSets[${i}]`;
        r.positions.set(base, c.at);
        r.onlyAttrs(c, ['name'], base);
        if (!c.attrs.has('name')) r.report('schema', c.at, base, "'Conflict' is missing required attribute 'name'");
        const set: ConflictSet = { name: c.attrs.get('name') ?? '', types: [] };
        r.types(c, base).forEach((t, j) => {
          set.types.push(t.value);
          r.positions.set(`${base}.types[${j}]`, t.at);
        });
        policy.conflictSets.push(set);
      });
    }
  }

  const tmpl = top.get('SecurityLabelTemplate')![0];
  if (tmpl) readLabels(r, tmpl, policy);

  const semantic = validatePolicy(policy, (p) => r.positions.get(p));
  const seen = new Set<string>();
  const errors = [...r.errors, ...semantic]
    .filter((d) => {
      const key = `${d.rule} ${d.path}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => (a.at?.line ?? 0) - (b.at?.line ?? 0) || (a.at?.col ?? 0) - (b.at?.col ?? 0));
  return errors.length ? { ok: false, errors } : { ok: true, policy };
}

function readPriority(r: Reader, el: XmlElement, policy: Policy, component: 'ste' | 'chwall'): void {
  r.onlyAttrs(el, ['priority'], '');
  const prio = el.attrs.get('priority');
  if (prio === undefined) return;
  if (prio !== PRIMARY) r.report('schema', el.at, '', `priority must be '${PRIMARY}', not '${prio}'`);
  else if (policy.primary) r.report('primary-twice', el.at, '', 'both policy components claim to be the primary one');
  else policy.primary = component;
}

function readHeader(r: Reader, el: XmlElement | undefined): PolicyHeader {
  const header: PolicyHeader = { name: '', version: '' };
  if (!el) return header;
  r.onlyAttrs(el, [], 'header');
  const s = r.sequence(
    el,
    [
      { name: 'PolicyName', min: 1, max: 1 },
      { name: 'PolicyUrl', min: 0, max: 1 },
      { name: 'Reference', min: 0, max: 1 },
      { name: 'Date', min: 0, max: 1 },
      { name: 'NameSpaceUrl', min: 0, max: 1 },
      { name: 'Version', min: 1, max: 1 },
      { name: 'FromPolicy', min: 0, max: 1 },
    ],
    'header',
  );
  const text = (name: string, path: string): string | undefined => {
    const e = s.get(name)![0];
    if (!e) return undefined;
    r.positions.set(path, e.at);
    return r.noChildren(e, path);
  };
  header.name = text('PolicyName', 'header.name') ?? '';
  header.version = text('Version', 'header.version') ?? '';
  const url = text('PolicyUrl', 'header.url');
  if (url !== undefined) header.url = url;
  const ref = text('Reference', 'header.reference');
  if (ref !== undefined) header.reference = ref;
  const date = text('Date', 'header.date');
  if (date !== undefined) header.date = date;
  const ns = text('NameSpaceUrl', 'header.namespaceUrl');
  if (ns !== undefined) header.namespaceUrl = ns;
  const from = s.get('FromPolicy')![0];
  if (from) {
    const f = r.sequence(
      from,
      [
        { name: 'PolicyName', min: 1, max: 1 },
        { name: 'Version', min: 1, max: 1 },
      ],
      'header.from',
    );
    const n = f.get('PolicyName')![0];
    const v = f.get('Version')![0];
    if (n) r.positions.set('header.from.name', n.at);
    if (v) r.positions.set('header.from.version', v.at);
    header.from = { name: n ? r.noChildren(n, 'header.from.name') : '', version: v ? r.noChildren(v, 'header.from.version') : '' };
  }
  return header;
}

function readName(r: Reader, el: XmlElement | undefined, path: string): { name: string; from?: string } {
  if (!el) return { name: '' };
  r.positions.set(path, el.at);
  r.onlyAttrs(el, ['from'], path);
  const name = r.noChildren(el, path);
  const from = el.attrs.get('from');
  return from === undefined ? { name } : { name, from };
}

function readLabels(r: Reader, tmpl: XmlElement, policy: Policy): void {
  const s = r.sequence(
    tmpl,
    [
      { name: 'SubjectLabels', min: 0, max: 1 },
      { name: 'ObjectLabels', min: 0, max: 1 },
    ],
    'labels',
  );
  const subj = s.get('SubjectLabels')![0];
  r.positions.set('bootstrap', (subj ?? tmpl).at);
  if (subj) {
    r.onlyAttrs(subj, ['bootstrap'], 'bootstrap');
    policy.bootstrap = subj.attrs.get('bootstrap') ?? '';
    const vms = r.sequence(subj, [{ name: 'VirtualMachineLabel', min: 1, max: Infinity }], 'vmLabels');
    vms.get('VirtualMachineLabel')!.forEach((v, i) => {
      const base = `vmLabels[${i}]`;
      r.positions.set(base, v.at);
      const parts = r.sequence(
        v,
        [
          { name: 'Name', min: 1, max: 1 },
          { name: 'SimpleTypeEnforcementTypes', min: 0, max: Infinity },
          { name: 'ChineseWallTypes', min: 0, max: Infinity },
        ],
        base,
      );
      const label: VmLabel = { ...readName(r, parts.get('Name')![0], `${base}.name`), ste: [], cw: [] };
      // Several type lists are allowed by the schema; they add up. An empty <Type/> names nothing
      // (Xen's DEFAULT policy writes one), and a repeated type counts once, as in Xen.
      const collect = (lists: XmlElement[], into: string[], key: 'ste' | 'cw'): void => {
        for (const list of lists)
          for (const t of r.types(list, `${base}.${key}`)) {
            if (!t.value || into.includes(t.value)) continue;
            r.positions.set(`${base}.${key}[${into.length}]`, t.at);
            into.push(t.value);
          }
      };
      collect(parts.get('SimpleTypeEnforcementTypes')!, label.ste, 'ste');
      collect(parts.get('ChineseWallTypes')!, label.cw, 'cw');
      policy.vmLabels.push(label);
    });
  }
  const obj = s.get('ObjectLabels')![0];
  if (obj) {
    const res = r.sequence(obj, [{ name: 'ResourceLabel', min: 1, max: Infinity }], 'resourceLabels');
    res.get('ResourceLabel')!.forEach((el, i) => {
      const base = `resourceLabels[${i}]`;
      r.positions.set(base, el.at);
      const parts = r.sequence(
        el,
        [
          { name: 'Name', min: 1, max: 1 },
          { name: 'SimpleTypeEnforcementTypes', min: 1, max: 1 },
        ],
        base,
      );
      const named = readName(r, parts.get('Name')![0], `${base}.name`);
      const label: ResourceLabel = { ...named, ste: '' };
      const typesEl = parts.get('SimpleTypeEnforcementTypes')![0];
      if (typesEl) {
        const types = typesEl.children.filter((c) => c.name === 'Type').map((c) => ({ value: c.text.trim(), at: c.at }));
        r.positions.set(`${base}.ste`, typesEl.at);
        if (types.length !== 1 || !types[0]!.value)
          r.report('resource-single-type', typesEl.at, `${base}.ste`, `resource label '${named.name}' must carry exactly one STE type, not ${types.filter((t) => t.value).length}`);
        // Keep the first type so the semantic pass checks it is declared, without a second report.
        const first = types.find((t) => t.value);
        if (first) {
          label.ste = first.value;
          r.positions.set(`${base}.ste`, first.at);
        }
        for (const c of typesEl.children) if (c.name !== 'Type') r.report('schema', c.at, `${base}.ste`, `unexpected element '${c.name}' in 'SimpleTypeEnforcementTypes'`);
      }
      policy.resourceLabels.push(label);
    });
  }
}
