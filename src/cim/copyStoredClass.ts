// The copies of stored classes the repository hands out. Stored classes never change, so the
// copies take their member and qualifier maps copy-on-read (NameMap.copyOnRead): callers may still
// change anything they get, but the many that only read a class's name or a few of its members
// (the WBEM server per request, providers per instance they build) no longer pay for copying
// every qualifier of every member.
import { CimClass } from './CimClass.js';
import { CimProperty } from './CimProperty.js';
import { CimMethod } from './CimMethod.js';
import { CimParameter } from './CimParameter.js';
import type { CimQualifier } from './CimQualifier.js';

function copyQualifier(q: CimQualifier): CimQualifier {
  return q.clone();
}

function copyParameter(p: CimParameter): CimParameter {
  return new CimParameter(
    p.name, p.type, p.isArray, p.qualifiers.copyOnRead(copyQualifier), p.referenceClass, p.arraySize, p.embeddedObject, p.embeddedClass,
  );
}

function copyProperty(p: CimProperty): CimProperty {
  return new CimProperty(
    p.name, p.type, Array.isArray(p.value) ? p.value.slice() : p.value, p.isArray, p.qualifiers.copyOnRead(copyQualifier),
    p.referenceClass, p.embeddedObject, p.embeddedClass, p.classOrigin, p.propagated, p.arraySize,
  );
}

function copyMethod(m: CimMethod): CimMethod {
  return new CimMethod(
    m.name, m.returnType, m.parameters.copyOnRead(copyParameter), m.qualifiers.copyOnRead(copyQualifier), m.classOrigin, m.propagated,
  );
}

/** A copy of a class the repository stores, as deep as CimClass.clone() once anything is read. */
export function copyStoredClass(c: CimClass): CimClass {
  return new CimClass(
    c.name, c.superclass, c.qualifiers.copyOnRead(copyQualifier), c.properties.copyOnRead(copyProperty),
    c.methods.copyOnRead(copyMethod), c.path,
  );
}
