// Extrinsic method calls (METHODCALL): finds the method provider for the target class (or the
// nearest superclass with one), coerces the untyped wire parameters against the method's
// declaration, and turns the provider's typed result back into wire values.
import { CimError, CimStatus } from '../cim/CimError.js';
import { CimInstance } from '../cim/CimInstance.js';
import { CimClass } from '../cim/CimClass.js';
import type { CimMethod } from '../cim/CimMethod.js';
import type { MethodCall, ParamValue as WireParam, ReturnValue, WireScalar, WireReference } from '../xml/messages.js';
import { fromWireValue, toWireValue } from '../xml/wireValue.js';
import { decodeEmbeddedObject } from '../xml/decodeMessage.js';
import { CimXmlError } from '../xml/CimXmlError.js';
import { roleAllows, type Provider, type ParamValue, type Role } from './Provider.js';
import type { OperationContext } from './OperationContext.js';
import type { OperationResult } from './OperationResult.js';
import { requireNamespace } from './InstanceRouter.js';

function methodProvider(ctx: OperationContext, className: string): Provider | null {
  const repo = ctx.core.repository;
  const chain = [className, ...repo.superclassChain(ctx.namespace, className)];
  for (const c of chain) {
    const p = ctx.core.providerFor(ctx.namespace, c);
    if (p.invokeMethod) return p;
  }
  return null;
}

/** The role the provider declares for `methodName` (matched case-insensitively), if any. */
function declaredRole(provider: Provider, methodName: string): Role | undefined {
  const roles = provider.methodRoles;
  if (!roles) return undefined;
  if (Object.hasOwn(roles, methodName)) return roles[methodName];
  const lower = methodName.toLowerCase();
  for (const [name, role] of Object.entries(roles)) if (name.toLowerCase() === lower) return role;
  return undefined;
}

/**
 * Refuses a caller whose role is below the one the provider declares for the method. A caller
 * holding a one-time credential was already held to its grant, which names each method it may
 * call: the grant, not a role, is what it has.
 */
function requireMethodRole(ctx: OperationContext, provider: Provider, className: string, methodName: string): void {
  if (ctx.grant) return;
  const need = declaredRole(provider, methodName);
  if (need === undefined || roleAllows(ctx.role, need)) return;
  throw new CimError(CimStatus.CIM_ERR_ACCESS_DENIED, `${ctx.user ?? 'caller'} (${ctx.role}) may not invoke ${className}.${methodName}, which needs ${need}`);
}

/** The typed IN parameters of `method` from the wire, refusing unknown or OUT-only ones. */
export function coerceInParams(method: CimMethod, params: readonly WireParam[]): ParamValue[] {
  const out: ParamValue[] = [];
  const seen = new Set<string>();
  for (const wp of params) {
    const decl = method.parameters.get(wp.name);
    if (!decl) throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `${method.name} has no parameter ${wp.name}`);
    if (!decl.isIn) throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `${method.name}.${decl.name} is an OUT parameter`);
    if (seen.has(decl.name.toLowerCase())) throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `${decl.name} given twice`);
    seen.add(decl.name.toLowerCase());
    let wire = wp.value;
    try {
      // wbemcli sends an embedded instance as plain escaped text without the EmbeddedObject mark.
      if (decl.embeddedObject && wire?.kind === 'VALUE' && !wire.embedded && wire.text.trimStart().startsWith('<')) {
        wire = { ...wire, embedded: decodeEmbeddedObject(wire.text) };
      } else if (decl.embeddedObject && wire?.kind === 'VALUE.ARRAY' && !wire.embedded) {
        wire = { ...wire, embedded: wire.items.map((t) => (t === null ? null : decodeEmbeddedObject(t))) };
      }
    } catch (e) {
      if (e instanceof CimXmlError) throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `${decl.name}: not an embedded object: ${e.message}`);
      throw e;
    }
    let value;
    try {
      value = fromWireValue(wire, decl.type, decl.isArray);
    } catch (e) {
      if (e instanceof CimError) throw new CimError(e.status === CimStatus.CIM_ERR_TYPE_MISMATCH ? CimStatus.CIM_ERR_INVALID_PARAMETER : e.status, `${decl.name}: ${e.description}`);
      throw e;
    }
    if (decl.embeddedObject === 'instance' && value !== null) {
      const all = Array.isArray(value) ? value : [value];
      if (all.some((v) => v !== null && !(v instanceof CimInstance))) {
        throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `${decl.name} must be an embedded instance`);
      }
    }
    const pv: ParamValue = { name: decl.name, type: decl.type, isArray: decl.isArray, value };
    if (decl.embeddedObject) pv.embeddedObject = decl.embeddedObject;
    out.push(pv);
  }
  return out;
}

export async function invokeMethod(ctx: OperationContext, call: MethodCall): Promise<OperationResult> {
  requireNamespace(ctx);
  const repo = ctx.core.repository;
  const target = call.target;
  if (!repo.hasClass(ctx.namespace, target.className)) throw new CimError(CimStatus.CIM_ERR_INVALID_CLASS, target.className);
  const provider = methodProvider(ctx, target.className);
  if (!provider?.invokeMethod) throw new CimError(CimStatus.CIM_ERR_METHOD_NOT_AVAILABLE, `${call.name}: no provider executes methods of ${target.className}`);
  const cls = repo.getClass(ctx.namespace, target.className);
  const method = cls.methods.get(call.name);
  if (!method) throw new CimError(CimStatus.CIM_ERR_METHOD_NOT_FOUND, `${cls.name}.${call.name}`);
  if (!target.keys && !method.qualifiers.get('Static')?.value) {
    throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `${cls.name}.${method.name} is not static: call it on an instance`);
  }
  // Before the parameters are looked at: a caller without the role learns nothing from their checks.
  requireMethodRole(ctx, provider, cls.name, method.name);
  const inParams = coerceInParams(method, call.params);
  const path = target.clone();
  path.namespace = ctx.namespace;
  const result = await provider.invokeMethod(ctx, path, method.name, inParams);
  const returnType = result.returnType ?? method.returnType;
  const rv = result.returnValue === null || result.returnValue === undefined ? null : toWireValue(result.returnValue, returnType);
  const returnValue: ReturnValue = { type: returnType, value: rv as WireScalar | WireReference | null };
  const outParams: WireParam[] = [];
  for (const op of result.outParams ?? []) {
    const decl = method.parameters.get(op.name);
    const type = op.type ?? decl?.type ?? 'string';
    const wp: WireParam = { name: decl?.name ?? op.name, type, value: op.value === null ? null : toWireValue(op.value, type) };
    const embedded = op.embeddedObject ?? decl?.embeddedObject ??
      (op.value instanceof CimInstance ? 'instance' : op.value instanceof CimClass ? 'object' : undefined);
    if (embedded) wp.embeddedObject = embedded;
    outParams.push(wp);
  }
  return { kind: 'method', returnValue, params: outParams };
}
