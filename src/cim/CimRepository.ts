// The schema and instance store of a CIM object manager: namespaces, qualifier declarations,
// classes with inheritance resolved, and in-memory instances. The WBEM server's repository
// provider persists created instances on top of this; the MOF compiler compiles into it.
//
// Contract (method names and meanings are relied on by src/mof and src/wbem):
//   namespaces(), hasNamespace(ns), createNamespace(ns), deleteNamespace(ns)
//   getQualifierDeclaration(ns, name), setQualifierDeclaration(ns, decl),
//   deleteQualifierDeclaration(ns, name), qualifierDeclarations(ns)
//   addClass(ns, cls)          local members only; checks superclass, overrides, qualifier scopes
//                              and flavors; CimError(INVALID_SUPERCLASS / ALREADY_EXISTS / ...)
//   modifyClass(ns, cls), deleteClass(ns, name)   (CLASS_HAS_CHILDREN / CLASS_HAS_INSTANCES)
//   getClass(ns, name)         resolved: inherited members marked propagated, classOrigin set
//   getLocalClass(ns, name)    as declared
//   hasClass(ns, name), classNames(ns, { className?, deep })  (subclasses of className, or roots)
//   isSubclassOf(ns, sub, sup) (true when equal), superclassChain(ns, name)
//   addInstance(ns, inst) -> CimObjectPath   validated and coerced against the class
//   getInstance(ns, path), modifyInstance(ns, inst, propertyList?), deleteInstance(ns, path)
//   instances(ns, className, { deep })       instances of the class and (deep) its subclasses
//   validateInstance(ns, inst) -> CimInstance  coerced copy, or CimError naming the property
//   pathOf(ns, inst) -> CimObjectPath          from the class's keys
export {};
