// Small builders for repository tests: qualifier declarations like DMTF's, and terse classes.
import { CimRepository } from '../../src/cim/CimRepository.js';
import { CimQualifierDeclaration, type QualifierScope } from '../../src/cim/CimQualifierDeclaration.js';
import { CimQualifier, type CimFlavor } from '../../src/cim/CimQualifier.js';
import { CimClass } from '../../src/cim/CimClass.js';
import { CimProperty } from '../../src/cim/CimProperty.js';
import { CimMethod } from '../../src/cim/CimMethod.js';
import { CimParameter } from '../../src/cim/CimParameter.js';
import { NameMap } from '../../src/cim/NameMap.js';
import type { CimType } from '../../src/cim/CimType.js';
import type { CimValue } from '../../src/cim/CimValue.js';
import { CimError } from '../../src/cim/CimError.js';
import { expect } from 'chai';

export const NS = 'root/tvdc';

function decl(name: string, type: CimType, value: CimValue, scopes: QualifierScope[], flavor: Partial<CimFlavor> = {}, isArray = false): CimQualifierDeclaration {
  return new CimQualifierDeclaration(name, type, value, isArray, new Set(scopes), {
    overridable: true, toSubclass: true, toInstance: false, translatable: false, ...flavor,
  });
}

/** A repository with namespace NS and a handful of DMTF-like qualifier declarations. */
export function repoWithQualifiers(): CimRepository {
  const repo = new CimRepository();
  repo.createNamespace(NS);
  for (const d of [
    decl('Key', 'boolean', false, ['property', 'reference'], { overridable: false }),
    decl('Abstract', 'boolean', false, ['class', 'association', 'indication'], { toSubclass: false }),
    decl('Association', 'boolean', false, ['association'], { overridable: false }),
    decl('Indication', 'boolean', false, ['class', 'indication'], { overridable: false }),
    decl('Description', 'string', null, ['any'], { translatable: true }),
    decl('Override', 'string', null, ['property', 'reference', 'method'], { toSubclass: false }),
    decl('MaxLen', 'uint32', null, ['property', 'method', 'parameter']),
    decl('Version', 'string', null, ['class', 'association', 'indication'], { toSubclass: false }),
    decl('ValueMap', 'string', null, ['property', 'method', 'parameter'], {}, true),
    decl('In', 'boolean', true, ['parameter'], { overridable: false }),
    decl('Out', 'boolean', false, ['parameter'], { overridable: false }),
    decl('Static', 'boolean', false, ['property', 'method'], { overridable: false }),
  ]) repo.setQualifierDeclaration(NS, d);
  return repo;
}

export function q(name: string, value: CimValue, type: CimType = typeof value === 'string' ? 'string' : 'boolean'): CimQualifier {
  return new CimQualifier(name, type, value, Array.isArray(value));
}

export function quals(...qs: CimQualifier[]): NameMap<CimQualifier> {
  return NameMap.from(qs, (x) => x.name);
}

export function prop(name: string, type: CimType, opts: { value?: CimValue; quals?: CimQualifier[]; isArray?: boolean; ref?: string } = {}): CimProperty {
  return new CimProperty(name, type, opts.value ?? null, opts.isArray ?? false, quals(...(opts.quals ?? [])), opts.ref);
}

export function method(name: string, returnType: CimType, params: CimParameter[] = [], qs: CimQualifier[] = []): CimMethod {
  return new CimMethod(name, returnType, NameMap.from(params, (p) => p.name), quals(...qs));
}

export function cls(name: string, superclass: string | null, props: CimProperty[], qs: CimQualifier[] = [], methods: CimMethod[] = []): CimClass {
  return new CimClass(name, superclass, quals(...qs), NameMap.from(props, (p) => p.name), NameMap.from(methods, (m) => m.name));
}

/** Runs fn, expecting a CimError with this status whose description matches. */
export function expectCimError(fn: () => unknown, status: number, reason: RegExp): CimError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected a CimError').to.be.instanceOf(CimError);
  const ce = err as CimError;
  expect(ce.status, ce.message).to.equal(status);
  expect(ce.description).to.match(reason);
  return ce;
}
