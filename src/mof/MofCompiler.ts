// Compiles MOF into a CIM repository: qualifier declarations, classes (superclass first, as
// DSP0004 requires) and instances with aliases, following #pragma include and namespace. Every
// problem, syntactic or semantic, becomes a positioned MofError; nothing is thrown to the caller.
import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { CimClass } from '../cim/CimClass.js';
import { CimError } from '../cim/CimError.js';
import { CimInstance } from '../cim/CimInstance.js';
import { CimMethod } from '../cim/CimMethod.js';
import { CimObjectPath } from '../cim/CimObjectPath.js';
import { CimParameter } from '../cim/CimParameter.js';
import { CimProperty } from '../cim/CimProperty.js';
import { CimQualifier, DEFAULT_FLAVOR, type CimFlavor } from '../cim/CimQualifier.js';
import { CimQualifierDeclaration, type QualifierScope } from '../cim/CimQualifierDeclaration.js';
import { CimRepository } from '../cim/CimRepository.js';
import type { CimType } from '../cim/CimType.js';
import type { CimValue } from '../cim/CimValue.js';
import { NameMap } from '../cim/NameMap.js';
import { valuesEqual } from '../cim/qualifierRules.js';
import type {
  MofClassNode, MofFlavor, MofInstanceNode, MofMethodNode, MofPragmaNode, MofProduction, MofPropertyNode,
  MofQualifierDeclNode, MofQualifierNode, MofValue, MofParameterNode,
} from './MofAst.js';
import { MofError, type MofErrorCode, type MofPosition } from './MofError.js';
import { MofParser } from './MofParser.js';
import { decodeMofSource } from './mofSourceBytes.js';
import { coerceMofValue, MofValueError } from './mofValue.js';

/** The namespace productions go to until a `#pragma namespace` says otherwise. */
export const DEFAULT_MOF_NAMESPACE = 'root/tvdc';

/** Deeper include nesting than this is taken to be a mistake, not a schema. */
export const MAX_INCLUDE_DEPTH = 64;

export interface MofSourceText {
  /** Shown in messages; relative includes resolve against its directory. */
  name: string;
  text: string;
}

export interface CompileMofOptions {
  /** MOF files to compile, in order. */
  files?: string[];
  /** MOF text held in memory, compiled after `files`. */
  sources?: MofSourceText[];
  /** Directories searched for `#pragma include` after the including file's own directory. */
  includeDirs?: string[];
  /** Compile into this repository (e.g. one that already holds the qualifiers and DMTF classes). */
  repository?: CimRepository;
  /** Namespace used until a `#pragma namespace`; DEFAULT_MOF_NAMESPACE when omitted. */
  defaultNamespace?: string;
}

export interface CompiledClass {
  namespace: string;
  /** The class as declared (local members only); `repository.getClass` gives it resolved. */
  cls: CimClass;
}

export interface CompiledInstance {
  namespace: string;
  instance: CimInstance;
  path: CimObjectPath;
}

export interface CompiledQualifier {
  namespace: string;
  declaration: CimQualifierDeclaration;
}

export interface CompileMofResult {
  repository: CimRepository;
  classes: CompiledClass[];
  instances: CompiledInstance[];
  qualifiers: CompiledQualifier[];
  /** Every problem found, ordered by file then position. Empty means the compile succeeded. */
  errors: MofError[];
}

/** Compiles MOF files and texts. Never throws: failures are in `errors`. */
export function compileMof(options: CompileMofOptions): CompileMofResult {
  const c = new MofCompiler(options);
  return c.run(options.files ?? [], options.sources ?? []);
}

/** Internal unwinding after an error has been recorded. */
class Skip {}
const SKIP = new Skip();

interface Scope {
  namespace: string;
}

/** What subclasses need of a class: its spelling, its kind, and how deep it sits (itself included). */
interface ClassKind {
  name: string;
  isAssociation: boolean;
  isIndication: boolean;
  depth: number;
}

/** Deepest a class may sit in its inheritance chain, itself included; the DMTF schema's deepest chains are about a dozen. */
const MAX_CLASS_DEPTH = 256;

export class MofCompiler {
  readonly repository: CimRepository;
  private readonly includeDirs: string[];
  private readonly errors: MofError[] = [];
  private readonly classes: CompiledClass[] = [];
  private readonly instances: CompiledInstance[] = [];
  private readonly qualifiers: CompiledQualifier[] = [];
  /** Classes declared in this compilation, by namespace and lower-cased name, to name the first site. */
  private readonly declared = new Map<string, MofPosition>();
  /** Classes whose declaration failed: later references to them are not errors of their own. */
  private readonly broken = new Set<string>();
  private readonly aliases = new Map<string, { path: CimObjectPath | null; pos: MofPosition }>();
  private readonly includeStack: string[] = [];
  private readonly fileOrder = new Map<string, number>();
  private readonly defaultNamespace: string;
  private readonly declCache = new Map<string, CimQualifierDeclaration | undefined>();
  private readonly classCache = new Map<string, CimClass>();
  /** What this compilation declared, so subclasses need no resolved copy. */
  private readonly kinds = new Map<string, ClassKind>();
  /** "Superclass not defined" errors by the missing class, to point at it if it comes later. */
  private readonly missingSuper = new Map<string, number[]>();

  constructor(options: CompileMofOptions) {
    this.repository = options.repository ?? new CimRepository();
    this.includeDirs = options.includeDirs ?? [];
    this.defaultNamespace = normalizeNamespace(options.defaultNamespace ?? DEFAULT_MOF_NAMESPACE);
  }

  run(files: string[], sources: MofSourceText[]): CompileMofResult {
    for (const f of files) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(f);
      } catch (e) {
        this.error('MOF_IO', { file: f, line: 1, col: 1 }, `cannot read file: ${ioReason(e)}`);
        continue;
      }
      const text = this.decode(bytes, f);
      if (text !== null) this.compileText(text, f, resolve(f), { namespace: this.defaultNamespace });
    }
    for (const s of sources) this.compileText(s.text, s.name, resolve(s.name), { namespace: this.defaultNamespace });
    const order = this.fileOrder;
    const errors = this.errors
      .map((e, i) => ({ e, i }))
      .sort((a, b) => (order.get(a.e.file) ?? 0) - (order.get(b.e.file) ?? 0) || a.e.line - b.e.line || a.e.col - b.e.col || a.i - b.i)
      .map((x) => x.e);
    return { repository: this.repository, classes: this.classes, instances: this.instances, qualifiers: this.qualifiers, errors };
  }

  private error(code: MofErrorCode, pos: MofPosition, reason: string): void {
    if (!this.fileOrder.has(pos.file)) this.fileOrder.set(pos.file, this.fileOrder.size);
    this.errors.push(MofError.at(code, pos, reason));
  }

  private fail(pos: MofPosition, reason: string): never {
    this.error('MOF_SEMANTIC', pos, reason);
    throw SKIP;
  }

  /** Parses then compiles one text; `scope` is this file's, so a namespace pragma ends with the file. */
  private compileText(text: string, shownName: string, absPath: string, scope: Scope): void {
    if (!this.fileOrder.has(shownName)) this.fileOrder.set(shownName, this.fileOrder.size);
    // Each production is compiled as soon as it is parsed: the syntax tree never outlives its
    // production, which keeps large schemas out of the old generation of the heap.
    const parser = new MofParser(text, shownName, (e) => this.errors.push(e));
    this.includeStack.push(absPath);
    try {
      parser.parse((p) => this.production(p, absPath, scope));
    } finally {
      this.includeStack.pop();
    }
  }

  private production(p: MofProduction, absPath: string, scope: Scope): void {
    try {
      switch (p.kind) {
        case 'pragma': this.pragma(p, absPath, scope); break;
        case 'qualifierDecl': if (!p.broken) this.qualifierDecl(p, scope.namespace); break;
        case 'class':
          if (p.broken) this.broken.add(key(scope.namespace, p.name));
          else this.classDecl(p, scope.namespace);
          break;
        case 'instance':
          if (p.broken) {
            if (p.alias) this.aliases.set(p.alias.toLowerCase(), { path: null, pos: p.aliasPos ?? p.pos });
          } else this.instanceDecl(p, scope.namespace);
          break;
      }
    } catch (e) {
      if (e === SKIP) return;
      // A repository or model error we did not anticipate: still a positioned error, never a throw.
      this.error('MOF_SEMANTIC', p.pos, e instanceof CimError ? e.description : `internal error: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  // ---- pragmas ----

  private pragma(p: MofPragmaNode, absPath: string, scope: Scope): void {
    switch (p.name.toLowerCase()) {
      case 'include': this.include(p, absPath, scope); return;
      case 'namespace': {
        const ns = normalizeNamespace(p.value);
        if (ns === '') this.fail(p.valuePos, '#pragma namespace needs a namespace name, e.g. "root/tvdc"');
        this.ensureNamespace(ns, p.valuePos);
        scope.namespace = ns;
        return;
      }
      default:
        // locale, instancelocale, nonlocal, source... : accepted, with nothing for tvdc to do.
        return;
    }
  }

  private include(p: MofPragmaNode, absPath: string, scope: Scope): void {
    if (p.value === '') this.fail(p.valuePos, '#pragma include needs a file name');
    const candidates = isAbsolute(p.value) ? [p.value] : [dirname(absPath), ...this.includeDirs].map((d) => resolve(d, p.value));
    const found = candidates.find((c) => isFile(c));
    if (!found) {
      this.error('MOF_INCLUDE', p.valuePos, `cannot find include file "${p.value}" (looked in: ${candidates.map((c) => dirname(c)).join(', ')})`);
      return;
    }
    if (this.includeStack.includes(found)) {
      this.error('MOF_INCLUDE', p.valuePos, `include cycle: "${p.value}" is already being compiled`);
      return;
    }
    if (this.includeStack.length >= MAX_INCLUDE_DEPTH) {
      this.error('MOF_LIMIT', p.valuePos, `includes nested more than ${MAX_INCLUDE_DEPTH} deep`);
      return;
    }
    let bytes: Buffer;
    try {
      bytes = readFileSync(found);
    } catch (e) {
      this.error('MOF_INCLUDE', p.valuePos, `cannot read include file "${p.value}": ${ioReason(e)}`);
      return;
    }
    // Messages name an included file by the path as resolved, relative when under the cwd.
    const text = this.decode(bytes, displayPath(found));
    if (text !== null) this.compileText(text, displayPath(found), found, { namespace: scope.namespace });
  }

  /** The file's text, or null after one MOF_LEXICAL error when it is not UTF-8. */
  private decode(bytes: Buffer, file: string): string | null {
    const d = decodeMofSource(bytes);
    if (d.ok) return d.text;
    this.error('MOF_LEXICAL', { file, line: d.line, col: d.col }, d.reason);
    return null;
  }

  // ---- repository access (namespaces created on first use) ----

  private ensureNamespace(ns: string, pos: MofPosition): void {
    if (this.repository.hasNamespace(ns)) return;
    try {
      this.repository.createNamespace(ns);
    } catch (e) {
      if (e instanceof CimError) this.fail(pos, e.description);
      throw e;
    }
  }

  private hasClass(ns: string, name: string): boolean {
    return this.repository.hasNamespace(ns) && this.repository.hasClass(ns, name);
  }

  /** Qualifier declarations are looked up once per namespace and name: applying them is the hot path. */
  private declaration(ns: string, name: string): CimQualifierDeclaration | undefined {
    const k = key(ns, name);
    if (this.declCache.has(k)) return this.declCache.get(k);
    const d = this.repository.hasNamespace(ns) && this.repository.hasQualifierDeclaration(ns, name)
      ? this.repository.getQualifierDeclaration(ns, name) : undefined;
    this.declCache.set(k, d);
    return d;
  }

  /** The ClassKind of a class the repository already had. */
  private repositoryKind(ns: string, name: string): ClassKind {
    const cls = this.resolvedClass(ns, name);
    let depth = 1;
    for (let c = cls; c.superclass !== null && depth <= MAX_CLASS_DEPTH; depth++) c = this.resolvedClass(ns, c.superclass);
    return { name: cls.name, isAssociation: cls.isAssociation, isIndication: cls.isIndication, depth };
  }

  /** Resolved classes, fetched once: the repository hands out copies. */
  private resolvedClass(ns: string, name: string): CimClass {
    const k = key(ns, name);
    let c = this.classCache.get(k);
    if (!c) {
      c = this.repository.getClass(ns, name);
      this.classCache.set(k, c);
    }
    return c;
  }

  // ---- values ----

  private value(v: MofValue, type: CimType, isArray: boolean, what: string, scalarToArray = false): CimValue {
    try {
      return coerceMofValue(v, type, isArray, (name) => this.alias(name), scalarToArray);
    } catch (e) {
      if (e instanceof MofValueError) {
        if (e.reason === '') throw SKIP; // an alias whose instance failed: already reported
        this.fail(e.pos, `${what}: ${e.reason}`);
      }
      throw e;
    }
  }

  /** The path an alias stands for; null when its instance failed (already reported). */
  private alias(name: string): CimObjectPath | null | undefined {
    const a = this.aliases.get(name.toLowerCase());
    if (!a) return undefined;
    return a.path;
  }

  // ---- qualifiers ----

  private flavorOf(base: CimFlavor, flavors: MofFlavor[], pos: MofPosition): CimFlavor {
    const f = { ...base };
    if (flavors.length === 0) return f; // the usual case: the declaration's flavor
    const seen = new Set<MofFlavor>();
    for (const fl of flavors) {
      const clash = fl === 'enableoverride' ? 'disableoverride' : fl === 'disableoverride' ? 'enableoverride'
        : fl === 'restricted' ? 'tosubclass' : fl === 'tosubclass' ? 'restricted' : null;
      if (clash && seen.has(clash)) this.fail(pos, `flavors ${fl} and ${clash} contradict each other`);
      seen.add(fl);
      if (fl === 'enableoverride') f.overridable = true;
      else if (fl === 'disableoverride') f.overridable = false;
      else if (fl === 'restricted') f.toSubclass = false;
      else if (fl === 'tosubclass') f.toSubclass = true;
      else if (fl === 'translatable') f.translatable = true;
      else f.toInstance = true;
    }
    return f;
  }

  private qualifierDecl(p: MofQualifierDeclNode, ns: string): void {
    const type = p.dataType.type;
    const value = p.defaultValue ? this.value(p.defaultValue, type, p.isArray, `default of qualifier ${p.name}`, true) : null;
    const scopes = new Set<QualifierScope>(p.scopes);
    const flavor = this.flavorOf(DEFAULT_FLAVOR, p.flavors, p.pos);
    const decl = new CimQualifierDeclaration(p.name, type, value, p.isArray, scopes, flavor, p.arraySize);
    this.ensureNamespace(ns, p.pos);
    const prev = this.declaration(ns, p.name);
    if (prev) {
      if (sameDeclaration(prev, decl)) return; // the same file included twice declares nothing new
      this.fail(p.pos, `qualifier ${p.name} is already declared differently in ${ns}`);
    }
    this.repository.setQualifierDeclaration(ns, decl);
    this.declCache.delete(key(ns, p.name));
    this.qualifiers.push({ namespace: ns, declaration: decl });
  }

  /**
   * Applied qualifiers checked against their declarations: declared, in scope (any of `scopes`),
   * value of the declared type (no value means TRUE for a boolean, the default otherwise).
   */
  private applied(nodes: MofQualifierNode[], ns: string, scopes: QualifierScope[], where: string): NameMap<CimQualifier> {
    const out = new NameMap<CimQualifier>();
    let failed = false;
    for (const q of nodes) {
      try {
        if (out.has(q.name)) this.fail(q.pos, `qualifier ${q.name} is given twice on ${where}`);
        const decl = this.declaration(ns, q.name);
        if (!decl) this.fail(q.pos, `qualifier ${q.name} is not declared (declare it with "Qualifier ${q.name} : ..." or include qualifiers.mof)`);
        if (!scopes.some((s) => decl.appliesTo(s))) {
          this.fail(q.pos, `qualifier ${decl.name} cannot be applied to ${where}: its scope is ${[...decl.scopes].join(', ')}`);
        }
        let value: CimValue;
        if (q.value === undefined) value = decl.type === 'boolean' && !decl.isArray ? true : decl.value;
        else value = this.value(q.value, decl.type, decl.isArray, `qualifier ${decl.name}`, true);
        const flavor = this.flavorOf(decl.flavor, q.flavors, q.pos);
        out.set(decl.name, new CimQualifier(decl.name, decl.type, value, decl.isArray, flavor));
      } catch (e) {
        if (e !== SKIP) throw e;
        failed = true;
      }
    }
    if (failed) throw SKIP;
    return out;
  }

  // ---- classes ----

  private classDecl(p: MofClassNode, ns: string): void {
    const k = key(ns, p.name);
    try {
      this.classDeclInner(p, ns, k);
    } catch (e) {
      this.broken.add(k);
      throw e;
    }
  }

  private classDeclInner(p: MofClassNode, ns: string, k: string): void {
    this.ensureNamespace(ns, p.pos);
    const first = this.declared.get(k);
    if (first) this.fail(p.pos, `class ${p.name} is already defined at ${first.file}:${first.line}:${first.col}`);
    if (this.hasClass(ns, p.name)) this.fail(p.pos, `class ${p.name} already exists in namespace ${ns}`);
    this.declared.set(k, p.pos);
    this.noteLateSuperclass(k, p.pos);

    let sup: ClassKind | null = null;
    if (p.superclass !== undefined) {
      const supPos = p.superclassPos ?? p.pos;
      const supKey = key(ns, p.superclass);
      if (this.broken.has(supKey)) throw SKIP;
      if (!this.hasClass(ns, p.superclass)) {
        const at = this.missingSuper.get(supKey) ?? [];
        at.push(this.errors.length);
        this.missingSuper.set(supKey, at);
        this.fail(supPos, `superclass ${p.superclass} of ${p.name} is not defined in namespace ${ns} (DSP0004: a class must come after its superclass)`);
      }
      sup = this.kinds.get(supKey) ?? this.repositoryKind(ns, p.superclass);
      // Checked before the class is made: resolving a chain thousands deep takes time and memory
      // that grow with its square.
      if (sup.depth + 1 > MAX_CLASS_DEPTH) this.fail(supPos, `class ${p.name} would be ${sup.depth + 1} classes deep; at most ${MAX_CLASS_DEPTH} are allowed`);
    }
    const localAssoc = p.qualifiers.some((q) => q.name.toLowerCase() === 'association' && isTrue(q.value));
    const localIndic = p.qualifiers.some((q) => q.name.toLowerCase() === 'indication' && isTrue(q.value));
    const isAssociation = localAssoc || (sup?.isAssociation ?? false);
    const isIndication = localIndic || (sup?.isIndication ?? false);
    const classScopes: QualifierScope[] = isAssociation ? ['association', 'class'] : isIndication ? ['indication', 'class'] : ['class'];

    let failed = false;
    const attempt = <T>(f: () => T): T | undefined => {
      try {
        return f();
      } catch (e) {
        if (e !== SKIP) throw e;
        failed = true;
        return undefined;
      }
    };
    const cls = new CimClass(p.name, sup ? sup.name : (p.superclass ?? null));
    const quals = attempt(() => this.applied(p.qualifiers, ns, classScopes, `class ${p.name}`));
    if (quals) cls.qualifiers = quals;
    for (const f of p.features) {
      attempt(() => {
        if (cls.properties.has(f.name) || cls.methods.has(f.name)) this.fail(f.pos, `${p.name} declares ${f.name} twice`);
        if (f.kind === 'property') cls.properties.set(f.name, this.property(f, ns, p.name, isAssociation));
        else cls.methods.set(f.name, this.method(f, ns, p.name));
      });
    }
    if (failed) throw SKIP;
    try {
      this.repository.addClass(ns, cls);
    } catch (e) {
      if (e instanceof CimError) this.fail(p.pos, e.description);
      throw e;
    }
    this.classes.push({ namespace: ns, cls });
    this.kinds.set(k, { name: cls.name, isAssociation, isIndication, depth: (sup?.depth ?? 0) + 1 });
    if (p.alias) this.aliases.set(p.alias.toLowerCase(), { path: new CimObjectPath(p.name, null, ns), pos: p.pos });
  }

  /** A class that earlier subclasses missed: say where it is, so the fix (reorder) is obvious. */
  private noteLateSuperclass(k: string, pos: MofPosition): void {
    const at = this.missingSuper.get(k);
    if (!at) return;
    this.missingSuper.delete(k);
    for (const i of at) {
      const e = this.errors[i]!;
      this.errors[i] = new MofError(e.code, e.file, e.line, e.col, `${e.reason}; it is defined later, at ${pos.file}:${pos.line}:${pos.col}`);
    }
  }

  private checkRefClass(refClass: string, ns: string, own: string, pos: MofPosition): void {
    if (refClass.toLowerCase() === own.toLowerCase()) return;
    if (this.broken.has(key(ns, refClass))) throw SKIP;
    if (!this.hasClass(ns, refClass)) this.fail(pos, `class ${refClass} named in "${refClass} REF" is not defined in namespace ${ns}`);
  }

  private property(f: MofPropertyNode, ns: string, own: string, isAssociation: boolean): CimProperty {
    const t = f.dataType;
    const isRef = t.type === 'reference';
    if (isRef) {
      if (!isAssociation) this.fail(f.pos, `reference ${f.name} is only allowed in an association class (qualify ${own} with [Association])`);
      if (f.isArray) this.fail(f.pos, `reference property ${f.name} cannot be an array`);
      this.checkRefClass(t.refClass!, ns, own, t.pos);
    }
    const where = `${isRef ? 'reference' : 'property'} ${own}.${f.name}`;
    const quals = this.applied(f.qualifiers, ns, [isRef ? 'reference' : 'property'], where);
    const prop = new CimProperty(f.name, t.type, null, f.isArray, quals, t.refClass);
    prop.classOrigin = own;
    if (f.arraySize !== undefined) prop.arraySize = f.arraySize;
    this.embedded(prop, quals, f.pos, where);
    if (f.defaultValue) prop.value = this.value(f.defaultValue, t.type, f.isArray, `default of ${where}`);
    return prop;
  }

  /** EmbeddedObject / EmbeddedInstance: only on strings; records which and the class. */
  private embedded(target: { type: CimType; embeddedObject?: 'object' | 'instance'; embeddedClass?: string }, quals: NameMap<CimQualifier>, pos: MofPosition, where: string): void {
    const eo = quals.get('EmbeddedObject');
    const ei = quals.get('EmbeddedInstance');
    if (eo && eo.value === true) target.embeddedObject = 'object';
    if (ei && typeof ei.value === 'string') {
      target.embeddedObject = 'instance';
      target.embeddedClass = ei.value;
    }
    if (target.embeddedObject && target.type !== 'string') this.fail(pos, `${where} carries an embedded object but is ${target.type}, not string`);
  }

  private method(m: MofMethodNode, ns: string, own: string): CimMethod {
    const where = `method ${own}.${m.name}`;
    if (m.returnType.type === 'reference') this.checkRefClass(m.returnType.refClass!, ns, own, m.returnType.pos);
    const quals = this.applied(m.qualifiers, ns, ['method'], where);
    const method = new CimMethod(m.name, m.returnType.type, new NameMap(), quals, own);
    let failed = false;
    for (const prm of m.parameters) {
      try {
        if (method.parameters.has(prm.name)) this.fail(prm.pos, `${where} has two parameters named ${prm.name}`);
        method.parameters.set(prm.name, this.parameter(prm, ns, own, where));
      } catch (e) {
        if (e !== SKIP) throw e;
        failed = true;
      }
    }
    if (failed) throw SKIP;
    return method;
  }

  private parameter(prm: MofParameterNode, ns: string, own: string, methodWhere: string): CimParameter {
    const t = prm.dataType;
    if (t.type === 'reference') this.checkRefClass(t.refClass!, ns, own, t.pos);
    const where = `parameter ${prm.name} of ${methodWhere}`;
    const quals = this.applied(prm.qualifiers, ns, ['parameter'], where);
    const param = new CimParameter(prm.name, t.type, prm.isArray, quals, t.refClass, prm.arraySize);
    this.embedded(param, quals, prm.pos, where);
    if (prm.defaultValue) this.value(prm.defaultValue, t.type, prm.isArray, `default of ${where}`);
    return param;
  }

  // ---- instances ----

  private instanceDecl(p: MofInstanceNode, ns: string): void {
    try {
      this.instanceDeclInner(p, ns);
    } catch (e) {
      // Later uses of the alias are not errors of their own.
      if (p.alias && !this.aliases.has(p.alias.toLowerCase())) this.aliases.set(p.alias.toLowerCase(), { path: null, pos: p.aliasPos ?? p.pos });
      throw e;
    }
  }

  private instanceDeclInner(p: MofInstanceNode, ns: string): void {
    if (p.alias) {
      const prev = this.aliases.get(p.alias.toLowerCase());
      if (prev) this.fail(p.aliasPos ?? p.pos, `alias $${p.alias} is already defined at ${prev.pos.file}:${prev.pos.line}:${prev.pos.col}`);
    }
    if (this.broken.has(key(ns, p.className))) throw SKIP;
    if (!this.hasClass(ns, p.className)) this.fail(p.pos, `class ${p.className} is not defined in namespace ${ns}`);
    const cls = this.resolvedClass(ns, p.className);
    let failed = false;
    const inst = new CimInstance(cls.name);
    try {
      inst.qualifiers = this.applied(p.qualifiers, ns, [cls.isAssociation ? 'association' : cls.isIndication ? 'indication' : 'class', 'class'], `the instance of ${cls.name}`);
    } catch (e) {
      if (e !== SKIP) throw e;
      failed = true;
    }
    for (const pv of p.values) {
      try {
        const decl = cls.properties.get(pv.name);
        if (!decl) this.fail(pv.pos, `class ${cls.name} has no property ${pv.name}`);
        if (inst.properties.has(pv.name)) this.fail(pv.pos, `property ${pv.name} is given twice`);
        const where = `property ${cls.name}.${decl.name}`;
        const quals = this.applied(pv.qualifiers, ns, [decl.type === 'reference' ? 'reference' : 'property'], where);
        const value = this.value(pv.value, decl.type, decl.isArray, where);
        inst.properties.set(decl.name, new CimProperty(decl.name, decl.type, value, decl.isArray, quals, decl.referenceClass, decl.embeddedObject, decl.embeddedClass));
      } catch (e) {
        if (e !== SKIP) throw e;
        failed = true;
      }
    }
    if (failed) throw SKIP;
    let path: CimObjectPath;
    try {
      path = this.repository.addInstance(ns, inst);
    } catch (e) {
      if (e instanceof CimError) this.fail(p.pos, e.description);
      throw e;
    }
    inst.path = path;
    this.instances.push({ namespace: ns, instance: inst, path });
    if (p.alias) this.aliases.set(p.alias.toLowerCase(), { path, pos: p.aliasPos ?? p.pos });
  }
}

function key(ns: string, name: string): string {
  return `${ns.toLowerCase()}:${name.toLowerCase()}`;
}

function isTrue(v: MofValue | undefined): boolean {
  return v === undefined || (v.kind === 'boolean' && v.value);
}

/** `root/tvdc`, `/root/tvdc/`, `root\tvdc` all name the same namespace. */
export function normalizeNamespace(ns: string): string {
  return ns.replace(/\\/g, '/').replace(/^\/+|\/+$/g, '');
}

function sameDeclaration(a: CimQualifierDeclaration, b: CimQualifierDeclaration): boolean {
  if (a.type !== b.type || a.isArray !== b.isArray || !valuesEqual(a.value, b.value)) return false;
  if (a.scopes.size !== b.scopes.size || [...a.scopes].some((s) => !b.scopes.has(s))) return false;
  return a.flavor.overridable === b.flavor.overridable && a.flavor.toSubclass === b.flavor.toSubclass &&
    a.flavor.translatable === b.flavor.translatable;
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function ioReason(e: unknown): string {
  const err = e as { code?: string; message?: string };
  if (err.code === 'ENOENT') return 'no such file';
  if (err.code === 'EISDIR') return 'is a directory';
  if (err.code === 'EACCES') return 'permission denied';
  return err.message ?? String(e);
}

function displayPath(abs: string): string {
  const cwd = process.cwd();
  return abs.startsWith(cwd + '/') ? abs.slice(cwd.length + 1) : abs;
}

