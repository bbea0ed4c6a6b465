// The JSON form of a policy for the API: the model itself, checked for shape and then by the same
// semantic rules as the XML form. Errors name the JSON path, since JSON has no useful lines here.
import type { ConflictSet, Policy, PolicyComponent, PolicyHeader, ResourceLabel, VmLabel } from './Policy.js';
import type { PolicyDiagnostic } from './PolicyDiagnostic.js';
import type { PolicyParseResult } from './parseAcmXml.js';
import { validatePolicy } from './validatePolicy.js';

export function policyToJson(p: Policy): string {
  return JSON.stringify(p, null, 2);
}

export function policyFromJson(text: string): PolicyParseResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { ok: false, errors: [{ rule: 'json-shape', path: '', message: `not JSON: ${(e as Error).message}` }] };
  }
  return policyFromObject(raw);
}

/** Builds a policy from an already parsed JSON value (as an HTTP API receives it). */
export function policyFromObject(raw: unknown): PolicyParseResult {
  const errors: PolicyDiagnostic[] = [];
  const bad = (path: string, message: string): void => {
    errors.push({ rule: 'json-shape', path, message });
  };
  const obj = (v: unknown, path: string): Record<string, unknown> => {
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    bad(path, 'must be an object');
    return {};
  };
  const str = (v: unknown, path: string): string => {
    if (typeof v === 'string') return v;
    bad(path, 'must be a string');
    return '';
  };
  const optStr = (v: unknown, path: string): string | undefined => (v === undefined ? undefined : str(v, path));
  const strs = (v: unknown, path: string): string[] => {
    if (Array.isArray(v)) return v.map((x, i) => str(x, `${path}[${i}]`));
    bad(path, 'must be an array of strings');
    return [];
  };
  const arr = (v: unknown, path: string): unknown[] => {
    if (v === undefined) return [];
    if (Array.isArray(v)) return v;
    bad(path, 'must be an array');
    return [];
  };

  const o = obj(raw, '');
  const h = obj(o.header, 'header');
  const header: PolicyHeader = { name: str(h.name, 'header.name'), version: str(h.version, 'header.version') };
  for (const k of ['url', 'reference', 'date', 'namespaceUrl'] as const) {
    const v = optStr(h[k], `header.${k}`);
    if (v !== undefined) header[k] = v;
  }
  if (h.from !== undefined) {
    const f = obj(h.from, 'header.from');
    header.from = { name: str(f.name, 'header.from.name'), version: str(f.version, 'header.from.version') };
  }
  const steTypes = o.steTypes === undefined ? [] : strs(o.steTypes, 'steTypes');
  const cwTypes = o.cwTypes === undefined ? [] : strs(o.cwTypes, 'cwTypes');
  const conflictSets: ConflictSet[] = arr(o.conflictSets, 'conflictSets').map((c, i) => {
    const co = obj(c, `conflictSets[${i}]`);
    return { name: str(co.name, `conflictSets[${i}].name`), types: strs(co.types, `conflictSets[${i}].types`) };
  });
  const vmLabels: VmLabel[] = arr(o.vmLabels, 'vmLabels').map((l, i) => {
    const lo = obj(l, `vmLabels[${i}]`);
    const label: VmLabel = {
      name: str(lo.name, `vmLabels[${i}].name`),
      ste: lo.ste === undefined ? [] : strs(lo.ste, `vmLabels[${i}].ste`),
      cw: lo.cw === undefined ? [] : strs(lo.cw, `vmLabels[${i}].cw`),
    };
    const from = optStr(lo.from, `vmLabels[${i}].from`);
    if (from !== undefined) label.from = from;
    return label;
  });
  const resourceLabels: ResourceLabel[] = arr(o.resourceLabels, 'resourceLabels').map((l, i) => {
    const lo = obj(l, `resourceLabels[${i}]`);
    const label: ResourceLabel = { name: str(lo.name, `resourceLabels[${i}].name`), ste: str(lo.ste, `resourceLabels[${i}].ste`) };
    const from = optStr(lo.from, `resourceLabels[${i}].from`);
    if (from !== undefined) label.from = from;
    return label;
  });
  let primary: PolicyComponent | undefined;
  if (o.primary !== undefined) {
    if (o.primary === 'ste' || o.primary === 'chwall') primary = o.primary;
    else bad('primary', "must be 'ste' or 'chwall'");
  }
  const policy: Policy = {
    header,
    hasSte: o.hasSte === undefined ? steTypes.length > 0 : o.hasSte === true,
    hasChineseWall: o.hasChineseWall === undefined ? cwTypes.length > 0 : o.hasChineseWall === true,
    steTypes,
    cwTypes,
    conflictSets,
    bootstrap: o.bootstrap === undefined ? '' : str(o.bootstrap, 'bootstrap'),
    vmLabels,
    resourceLabels,
  };
  if (primary) policy.primary = primary;
  if (errors.length) return { ok: false, errors };
  const semantic = validatePolicy(policy);
  return semantic.length ? { ok: false, errors: semantic } : { ok: true, policy };
}
