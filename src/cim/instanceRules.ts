// Instances checked against their (resolved) class: every property known and of the declared type,
// keys present, defaults filled; and instance paths built from, or normalised to, the class keys.
// Errors follow DSP0200 CreateInstance: unknown or missing-key properties are
// CIM_ERR_INVALID_PARAMETER naming the property, wrong types CIM_ERR_TYPE_MISMATCH, an abstract
// class CIM_ERR_INVALID_CLASS.
import { CimInstance } from './CimInstance.js';
import { CimProperty } from './CimProperty.js';
import type { CimClass } from './CimClass.js';
import { CimObjectPath, type CimKeyBinding } from './CimObjectPath.js';
import type { CimScalar, CimValue } from './CimValue.js';
import { NameMap } from './NameMap.js';
import { CimError, CimStatus } from './CimError.js';
import { coerceScalar, coerceValue } from './coerceValue.js';
import { canonicalBinding, canonicalKeysText } from './objectPathText.js';

/** Answers whether class `sub` is `sup` or one of its subclasses, when the repository knows `sub`. */
export type SubclassTest = (sub: string, sup: string) => boolean | undefined;

function propertyError(e: unknown, cls: CimClass, name: string): unknown {
  if (e instanceof CimError) return new CimError(e.status, `property ${cls.name}.${name}: ${e.description}`);
  return e;
}

function checkReference(v: CimScalar | null, decl: CimProperty, cls: CimClass, isSubclass: SubclassTest): void {
  if (!(v instanceof CimObjectPath) || !decl.referenceClass) return;
  if (isSubclass(v.className, decl.referenceClass) === false) {
    throw new CimError(
      CimStatus.CIM_ERR_TYPE_MISMATCH,
      `property ${cls.name}.${decl.name}: ${v.className} is not a ${decl.referenceClass}`,
    );
  }
}

/** The value of one property, coerced to its declaration. */
export function coercePropertyValue(cls: CimClass, decl: CimProperty, value: unknown, isSubclass: SubclassTest): CimValue {
  let v: CimValue;
  try {
    v = coerceValue(decl.type, decl.isArray, value);
  } catch (e) {
    throw propertyError(e, cls, decl.name);
  }
  if (decl.type === 'reference') {
    if (Array.isArray(v)) for (const x of v) checkReference(x, decl, cls, isSubclass);
    else checkReference(v, decl, cls, isSubclass);
  }
  if (decl.arraySize !== undefined && Array.isArray(v) && v.length > decl.arraySize) {
    throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `property ${cls.name}.${decl.name}: ${v.length} elements exceed the fixed size ${decl.arraySize}`);
  }
  return v;
}

/** A new instance property carrying the class's declaration details and the given value. */
export function instanceProperty(decl: CimProperty, value: CimValue): CimProperty {
  return new CimProperty(
    decl.name, decl.type, value, decl.isArray, undefined, decl.referenceClass, decl.embeddedObject, decl.embeddedClass,
    decl.classOrigin, decl.propagated, decl.arraySize,
  );
}

/**
 * A coerced copy of `inst` with every class property (given value or class default), keys taken
 * from the instance or, when it lacks them, from its path; the copy's path is set.
 */
export function validateAgainstClass(cls: CimClass, inst: CimInstance, namespace: string, isSubclass: SubclassTest): CimInstance {
  if (cls.isAbstract) throw new CimError(CimStatus.CIM_ERR_INVALID_CLASS, `class ${cls.name} is abstract and cannot have instances`);
  for (const name of inst.properties.names()) {
    if (!cls.properties.has(name)) {
      throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `class ${cls.name} has no property ${name}`);
    }
  }
  const props = new NameMap<CimProperty>();
  for (const decl of cls.properties.values()) {
    const given = inst.properties.get(decl.name);
    let value: CimValue;
    if (given) {
      value = coercePropertyValue(cls, decl, given.value, isSubclass);
    } else {
      const fromPath = inst.path?.keys?.get(decl.name);
      value = fromPath ? coerceKeyValue(cls, decl, fromPath) : Array.isArray(decl.value) ? [...decl.value] : decl.value;
    }
    props.set(decl.name, instanceProperty(decl, value));
  }
  const out = new CimInstance(cls.name, props, undefined, new NameMap());
  out.path = pathFromProperties(cls, out, namespace);
  return out;
}

/** A key binding's value converted to the key property's type (untyped paths infer loosely). */
export function coerceKeyValue(cls: CimClass, decl: CimProperty, b: CimKeyBinding): CimScalar {
  const v = b.value;
  try {
    if (decl.type === 'string' && typeof v !== 'string') {
      // An unquoted number or a quoted path given for a string key still names that string.
      if (v instanceof CimObjectPath) return v.toString();
      if (typeof v === 'number' || typeof v === 'bigint') return String(v);
      if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
    }
    return coerceScalar(decl.type, v);
  } catch (e) {
    throw propertyError(e, cls, decl.name);
  }
}

/** The instance path of a validated instance: the class's keys in declaration order. */
export function pathFromProperties(cls: CimClass, inst: CimInstance, namespace: string): CimObjectPath {
  const keys = new NameMap<CimKeyBinding>();
  for (const decl of cls.keyProperties()) {
    const v = inst.properties.get(decl.name)?.value ?? null;
    if (v === null) throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `key property ${cls.name}.${decl.name} has no value`);
    if (Array.isArray(v)) throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `key property ${cls.name}.${decl.name} is an array`);
    keys.set(decl.name, { name: decl.name, type: decl.type, value: v });
  }
  return new CimObjectPath(cls.name, keys, namespace);
}

/**
 * canonicalKeysKey of normalizeInstancePath(cls, path, namespace), with the same refusals, without
 * building the normalised path: the repository looks every instance up by it. `keys` is
 * cls.keyProperties(), which the repository keeps per class rather than finding again per lookup.
 */
export function canonicalInstanceKey(cls: CimClass, keys: readonly CimProperty[], path: CimObjectPath, namespace: string): string {
  const given = path.keys;
  const parts: string[] = [];
  for (const decl of keys) {
    const b = given?.get(decl.name);
    if (!b) throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `instance path of ${cls.name} lacks key ${decl.name}`);
    parts.push(canonicalBinding(decl.name, coerceKeyValue(cls, decl, b), namespace));
  }
  if (given && parts.length !== given.size) {
    const declared = new Set(cls.keyNames.map((n) => n.toLowerCase()));
    for (const n of given.names()) {
      if (!declared.has(n.toLowerCase())) throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `${n} is not a key of class ${cls.name}`);
    }
  }
  return canonicalKeysText(parts);
}

/**
 * `path` with its bindings converted to the class's key types and spellings, in declaration order.
 * Unknown or missing keys are CIM_ERR_INVALID_PARAMETER naming the key.
 */
export function normalizeInstancePath(cls: CimClass, path: CimObjectPath, namespace: string): CimObjectPath {
  const given = path.keys ?? new NameMap<CimKeyBinding>();
  const keys = new NameMap<CimKeyBinding>();
  let count = 0;
  for (const decl of cls.keyProperties()) {
    const b = given.get(decl.name);
    if (!b) throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `instance path of ${cls.name} lacks key ${decl.name}`);
    keys.set(decl.name, { name: decl.name, type: decl.type, value: coerceKeyValue(cls, decl, b) });
    count++;
  }
  if (count !== given.size) {
    for (const n of given.names()) {
      if (!keys.has(n)) throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `${n} is not a key of class ${cls.name}`);
    }
  }
  return new CimObjectPath(cls.name, keys, namespace, path.host);
}
