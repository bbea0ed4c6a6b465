// What a restricted caller may do, named call by call: instead of a role's every operation, a
// list of intrinsic operations and extrinsic methods on named classes of one namespace. A
// one-time credential (OneTimeCredentials) authenticates as a principal carrying one; the server
// checks it where it checks roles, before any provider runs, and the provider serving a granted
// method holds the call to the grant's scope (e.g. the one VM a migration ticket is for).
import { namespaceKey } from './namespaceName.js';

export type GrantedCall =
  /** An intrinsic operation (EnumerateInstances, GetInstance...) whose target is `className` exactly. */
  | { readonly operation: string; readonly className: string }
  /**
   * An extrinsic method of `className`; `usesUp`: the first call of it spends the credential,
   * whatever the method answers, so it can never be made twice.
   */
  | { readonly method: string; readonly className: string; readonly usesUp?: boolean };

export interface AccessGrant {
  /** Shown in refusals: what the credential is for. */
  readonly purpose: string;
  readonly namespace: string;
  readonly calls: readonly GrantedCall[];
  /**
   * What the provider of a granted method holds the call to (e.g. `{ vm: 'ma', disks: ['d1'] }`).
   * The server does not read it: only the provider knows which parameters it binds.
   */
  readonly scope: Readonly<Record<string, string | readonly string[]>>;
}

/** A grant as a request carries it: the grant, and the way to spend the credential it came with. */
export interface ActiveGrant extends AccessGrant {
  /** Spends the credential; true only for the first caller, so two racing requests cannot both pass. */
  useUp(): boolean;
}

function same(a: string, b: string): boolean {
  return a === b || a.toLowerCase() === b.toLowerCase();
}

/** Whether the grant allows the intrinsic `operation` on `className` (null: the operation names no single class). */
export function grantsOperation(grant: AccessGrant, namespace: string, operation: string, className: string | null): boolean {
  if (className === null || namespaceKey(namespace) !== namespaceKey(grant.namespace)) return false;
  return grant.calls.some((c) => 'operation' in c && same(c.operation, operation) && same(c.className, className));
}

/** The granted call for the method `method` of `className`, or null when the grant has none. */
export function grantedMethod(grant: AccessGrant, namespace: string, className: string, method: string): Extract<GrantedCall, { method: string }> | null {
  if (namespaceKey(namespace) !== namespaceKey(grant.namespace)) return null;
  for (const c of grant.calls) {
    if ('method' in c && same(c.method, method) && same(c.className, className)) return c;
  }
  return null;
}
