// Edits a TVDc's sHype policy the way its Datacenter Administrator does from the management
// server: add or remove a label, add or remove a Chinese Wall conflict set. Every edit returns a
// new policy (the input is never changed) with a higher version (the next minor version unless the
// caller names one above it: a host may already run the next one, set behind the server's back),
// and is validated with the policy's own rules, so a policy the server holds is always one a host
// would load.
import { TvdcError } from '../TvdcError.js';
import type { Policy } from '../policy/Policy.js';
import { formatDiagnostic } from '../policy/PolicyDiagnostic.js';
import { compareVersions, isPolicyVersion } from '../policy/PolicyVersion.js';
import { validatePolicy } from '../policy/validatePolicy.js';

export type LabelKind = 'vm' | 'resource';

export interface NewLabel {
  name: string;
  kind: LabelKind;
  /** STE types: what the label may share. A resource label takes exactly one. */
  ste: string[];
  /** Chinese Wall types of a VM label (what its conflict sets count); none for a resource label. */
  cw: string[];
}

/** The version after `v`: the minor number goes up by one (1.9 -> 1.10). */
export function nextVersion(v: string): string {
  if (!isPolicyVersion(v)) throw new TvdcError('POLICY_INVALID', `version '${v}' is not of the form major.minor`);
  const [major, minor] = v.split('.') as [string, string];
  const next = `${major}.${Number(minor) + 1}`;
  if (!isPolicyVersion(next)) throw new TvdcError('POLICY_INVALID', `version ${v} has no next minor version`);
  return next;
}

/**
 * Minor versions a version must leave above it for a host's version to set the floor of an edit:
 * an edit goes above what the hosts hold, so a host loaded with a version near the top
 * (99999999.99999999 has no next one) would otherwise bring the TVDc's policy to where no edit
 * can follow. Real edits never come near: a million of them is far beyond any policy's life.
 */
export const EDIT_ROOM = 1_000_000;

/** The largest minor number a version may have (8 digits). */
const MAX_MINOR = 99_999_999;

/** Whether `v` leaves EDIT_ROOM minor versions above its next one (1.98999998 does; 1.98999999, 99999999.99999999 do not). */
export function leavesEditRoom(v: string): boolean {
  if (!isPolicyVersion(v)) return false;
  return Number(v.split('.')[1]) + 1 + EDIT_ROOM <= MAX_MINOR;
}

/**
 * The version after every one of `versions` (the policy's own and those hosts are known to run
 * under its name): the next minor version of the highest.
 */
export function versionAbove(versions: readonly string[]): string {
  if (versions.length === 0) throw new TvdcError('INVALID_ARGUMENT', 'no version to go above');
  for (const v of versions) if (!isPolicyVersion(v)) throw new TvdcError('POLICY_INVALID', `version '${v}' is not of the form major.minor`);
  return nextVersion([...versions].sort(compareVersions).at(-1)!);
}

/**
 * A copy for the next version (or `version`, which must be above p's): deep, with label renames
 * (`from=`) dropped, since they belong to the update that introduced them, and without
 * FromPolicy, which deployment sets per host.
 */
function nextEdition(p: Policy, version?: string): Policy {
  if (version !== undefined && (!isPolicyVersion(version) || compareVersions(version, p.header.version) <= 0)) {
    throw new TvdcError('INVALID_ARGUMENT', `version ${version} of an edit must be above ${p.header.version}`);
  }
  const { from: _from, ...header } = p.header;
  return {
    ...p,
    header: { ...header, version: version ?? nextVersion(p.header.version) },
    steTypes: [...p.steTypes],
    cwTypes: [...p.cwTypes],
    conflictSets: p.conflictSets.map((c) => ({ name: c.name, types: [...c.types] })),
    vmLabels: p.vmLabels.map((l) => ({ name: l.name, ste: [...l.ste], cw: [...l.cw] })),
    resourceLabels: p.resourceLabels.map((l) => ({ name: l.name, ste: l.ste })),
  };
}

/** Throws POLICY_INVALID listing every rule the edited policy breaks. */
function checked(p: Policy, what: string): Policy {
  const problems = validatePolicy(p);
  if (problems.length) {
    const lines = problems.map((d) => formatDiagnostic(what, d));
    throw new TvdcError('POLICY_INVALID', lines.join('\n'), { errors: problems, lines });
  }
  return p;
}

function declare(list: string[], types: readonly string[]): void {
  for (const t of types) if (!list.includes(t)) list.push(t);
}

function cleanTypes(types: readonly string[], what: string): string[] {
  const out = [...new Set(types.map((t) => t.trim()))];
  if (out.some((t) => !t)) throw new TvdcError('INVALID_ARGUMENT', `${what}: empty type name`);
  return out;
}

/** Adds a label; types it names that the policy lacks are declared with it. */
export function addLabel(p: Policy, label: NewLabel, version?: string): Policy {
  const ste = cleanTypes(label.ste, `label ${label.name}`);
  const cw = cleanTypes(label.cw, `label ${label.name}`);
  if (!label.name) throw new TvdcError('INVALID_ARGUMENT', 'a label needs a name');
  if (ste.length === 0) throw new TvdcError('INVALID_ARGUMENT', `label ${label.name} needs at least one type`);
  const next = nextEdition(p, version);
  if (label.kind === 'vm') {
    if (next.vmLabels.some((l) => l.name === label.name)) throw new TvdcError('ALREADY_EXISTS', `VM label ${label.name} already exists in policy ${p.header.name}`);
    next.vmLabels.push({ name: label.name, ste, cw });
    if (cw.length) next.hasChineseWall = true;
    declare(next.cwTypes, cw);
  } else {
    if (ste.length !== 1) throw new TvdcError('INVALID_ARGUMENT', `resource label ${label.name} must carry exactly one type, not ${ste.length}`);
    if (cw.length) throw new TvdcError('INVALID_ARGUMENT', `resource label ${label.name} cannot carry Chinese Wall types`);
    if (next.resourceLabels.some((l) => l.name === label.name)) throw new TvdcError('ALREADY_EXISTS', `resource label ${label.name} already exists in policy ${p.header.name}`);
    next.resourceLabels.push({ name: label.name, ste: ste[0]! });
  }
  next.hasSte = true;
  declare(next.steTypes, ste);
  return checked(next, `label ${label.name}`);
}

/** Removes a label. The bootstrap label (what the management VM runs as) cannot go. */
export function removeLabel(p: Policy, name: string, kind: LabelKind, version?: string): Policy {
  const next = nextEdition(p, version);
  if (kind === 'vm') {
    if (name === p.bootstrap) throw new TvdcError('INVALID_STATE', `${name} is the policy's bootstrap label (the management VM's); it cannot be removed`);
    const i = next.vmLabels.findIndex((l) => l.name === name);
    if (i < 0) throw new TvdcError('NOT_FOUND', `no VM label ${name} in policy ${p.header.name}`);
    next.vmLabels.splice(i, 1);
  } else {
    const i = next.resourceLabels.findIndex((l) => l.name === name);
    if (i < 0) throw new TvdcError('NOT_FOUND', `no resource label ${name} in policy ${p.header.name}`);
    next.resourceLabels.splice(i, 1);
  }
  return checked(next, `label ${name}`);
}

/** Adds a Chinese Wall conflict set over declared Chinese Wall types. */
export function addConflictSet(p: Policy, name: string, types: readonly string[], version?: string): Policy {
  const clean = cleanTypes(types, `conflict set ${name}`);
  if (!name) throw new TvdcError('INVALID_ARGUMENT', 'a conflict set needs a name');
  if (clean.length < 2) throw new TvdcError('INVALID_ARGUMENT', `conflict set ${name} needs at least two types`);
  const next = nextEdition(p, version);
  if (next.conflictSets.some((c) => c.name === name)) throw new TvdcError('ALREADY_EXISTS', `conflict set ${name} already exists in policy ${p.header.name}`);
  const undeclared = clean.filter((t) => !next.cwTypes.includes(t));
  if (undeclared.length) throw new TvdcError('INVALID_ARGUMENT', `conflict set ${name}: ${undeclared.join(', ')} ${undeclared.length > 1 ? 'are not Chinese Wall types' : 'is not a Chinese Wall type'} of policy ${p.header.name}`);
  next.conflictSets.push({ name, types: clean });
  next.hasChineseWall = true;
  return checked(next, `conflict set ${name}`);
}

export function removeConflictSet(p: Policy, name: string, version?: string): Policy {
  const next = nextEdition(p, version);
  const before = next.conflictSets.length;
  next.conflictSets = next.conflictSets.filter((c) => c.name !== name);
  if (next.conflictSets.length === before) throw new TvdcError('NOT_FOUND', `no conflict set ${name} in policy ${p.header.name}`);
  return checked(next, `conflict set ${name}`);
}

/** The policy as it goes to one host: FromPolicy names what that host runs, so the host accepts it as an update. */
export function forHost(p: Policy, active: { name: string; version: string } | null): Policy {
  const { from: _from, ...header } = p.header;
  return { ...p, header: active ? { ...header, from: { name: active.name, version: active.version } } : header };
}
