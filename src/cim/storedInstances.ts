// How the repository keeps instances so that it can hand them out without copying them. A stored
// instance is frozen down to every property object, array value and key binding, and its
// properties are plain: no CLASSORIGIN, not PROPAGATED (both belong to the class, which cannot
// change while it has instances), which is how an instance goes on the wire by default. Readers
// get either a copy with the class's details put back (what getInstance and instances() always
// returned) or a view: new maps and path over the shared, frozen properties.
import type { CimClass } from './CimClass.js';
import { CimInstance } from './CimInstance.js';
import { CimObjectPath } from './CimObjectPath.js';
import { CimProperty } from './CimProperty.js';

/**
 * Makes a validated instance nobody else holds into its stored form, in place, and returns it.
 * Values that are objects (datetimes, references, embedded instances) are not frozen: every copy
 * the repository hands out has always shared them, and they are treated as immutable.
 */
export function freezeStoredInstance(inst: CimInstance): CimInstance {
  for (const p of inst.properties.values()) {
    p.classOrigin = undefined;
    p.propagated = false;
    if (Array.isArray(p.value)) Object.freeze(p.value);
    Object.freeze(p);
    // Views share the property and so its qualifier map: frozen, its set() throws instead of
    // adding the entry to the stored instance. Frozen after the property, whose getter then hands
    // out what it holds (for a property without qualifiers, CimProperty's shared frozen empty map)
    // rather than making a map to freeze.
    Object.freeze(p.qualifiers);
  }
  if (inst.path?.keys) for (const b of inst.path.keys.values()) Object.freeze(b);
  if (inst.path) Object.freeze(inst.path);
  return Object.freeze(inst);
}

/** A stored property as its class declares it: CLASSORIGIN and PROPAGATED back. */
function declared(cls: CimClass, p: CimProperty, copyArray: boolean): CimProperty {
  const decl = cls.properties.get(p.name);
  const value = copyArray && Array.isArray(p.value) ? p.value.slice() : p.value;
  return new CimProperty(
    p.name, p.type, value, p.isArray, undefined, p.referenceClass, p.embeddedObject, p.embeddedClass,
    decl?.classOrigin, decl?.propagated ?? false, p.arraySize,
  );
}

/** A deep copy of a stored instance as validateInstance() made it (class details included). */
export function copyStoredInstance(cls: CimClass, stored: CimInstance): CimInstance {
  return new CimInstance(
    stored.className, stored.properties.mapValues((p) => declared(cls, p, true)), stored.path?.clone(), stored.qualifiers.clone((q) => q.clone()),
  );
}

/**
 * A view of a stored instance: a new instance and path whose property, qualifier and key maps
 * share the stored entries until changed (NameMap.copyOnWrite), so reading a view copies nothing.
 * With `cls`, the properties are new ones carrying CLASSORIGIN and PROPAGATED from it (for
 * IncludeClassOrigin, rare enough to pay for).
 */
export function instanceView(stored: CimInstance, cls?: CimClass): CimInstance {
  const path = stored.path;
  return new CimInstance(
    stored.className,
    cls ? stored.properties.mapValues((p) => declared(cls, p, false)) : stored.properties.copyOnWrite(),
    path && new CimObjectPath(path.className, path.keys && path.keys.copyOnWrite(), path.namespace, path.host),
    stored.qualifiers.copyOnWrite(),
  );
}
