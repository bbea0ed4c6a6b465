// The text forms of object paths: the untyped model path (`root/cimv2:CIM_Foo.Name="vm1",Id=3`),
// DSP0207 WBEM URIs (`//host:port/root/cimv2:CIM_Foo.k="v"`, `/root/cimv2:...`, and the typed form
// `/(instance)root/cimv2:CIM_Foo.k=(uint32)3`) and wbemcli's URL (`http://u:p@host:5988/ns:Class...`).
//
// Key values without a declared type are inferred: "quoted" -> string (or reference when the
// quoted text is itself an instance path, see looksLikeNestedPath), 'c' -> char16, TRUE/FALSE ->
// boolean, integers -> uint64/sint64 as bigint, other numbers -> real64. The repository converts
// each binding to the key property's declared type, so the inference only needs to be lossless.
import { NameMap } from './NameMap.js';
import type { CimType } from './CimType.js';
import { isCimType } from './CimType.js';
import type { CimScalar } from './CimValue.js';
import { CimObjectPath, type CimKeyBinding } from './CimObjectPath.js';
import { CimDateTime } from './CimDateTime.js';
import { CimError, CimStatus } from './CimError.js';
import { formatReal32, formatReal64, parseCimScalar } from './valueText.js';

export interface PathParseOptions {
  /** wbemcli leniency: an unquoted key value that is neither number nor boolean is a string. */
  bareStrings?: boolean;
}

const MAX_NESTING = 16;

function isNameStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c > 127;
}

function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 48 && c <= 57);
}

class PathReader {
  i = 0;
  constructor(readonly text: string, readonly options: PathParseOptions, readonly depth: number) {
    if (depth > MAX_NESTING) throw this.fail('references nested too deeply');
  }

  fail(reason: string, at = this.i): CimError {
    const shown = this.text.length > 120 ? `${this.text.slice(0, 117)}...` : this.text;
    return new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `invalid object path "${shown}": ${reason} at character ${at + 1}`);
  }

  peek(): number {
    return this.i < this.text.length ? this.text.charCodeAt(this.i) : -1;
  }

  startsWith(s: string): boolean {
    return this.text.startsWith(s, this.i);
  }

  name(what: string): string {
    const s = this.i;
    if (!isNameStart(this.peek())) throw this.fail(`expected ${what}`);
    while (isNameChar(this.peek())) this.i++;
    return this.text.slice(s, this.i);
  }

  /** `(word)` type or object-kind marker of the typed WBEM URI form, or null. */
  marker(): string | null {
    if (this.peek() !== 40) return null;
    const close = this.text.indexOf(')', this.i);
    if (close < 0) throw this.fail('unclosed "("');
    const word = this.text.slice(this.i + 1, close);
    this.i = close + 1;
    return word;
  }

  /** `[scheme:]//authority/` or `/`; returns the host (without user info) when there is one. */
  authority(): string | undefined {
    const t = this.text;
    // DSP0207's optional namespace type (`http:`, `https:`, `cimxml.wbem:`...) before `//` or `/`.
    const sep = t.indexOf(':/');
    if (sep > 0) {
      let ok = isNameStart(t.charCodeAt(0));
      for (let k = 1; ok && k < sep; k++) {
        const c = t.charCodeAt(k);
        ok = isNameChar(c) || c === 46 || c === 43 || c === 45;
      }
      // Only a scheme when it comes before anything that belongs to a path.
      if (ok) this.i = sep + 1;
    }
    if (this.startsWith('//')) {
      const start = this.i + 2;
      const slash = t.indexOf('/', start);
      if (slash < 0) throw this.fail('a host must be followed by "/" and a namespace');
      const at = t.lastIndexOf('@', slash);
      const host = t.slice(at >= start ? at + 1 : start, slash);
      if (host.length === 0) throw this.fail('empty host', start);
      this.i = slash + 1;
      return host;
    }
    if (this.peek() === 47) this.i++;
    return undefined;
  }

  /** The namespace before the first ':' that precedes any key syntax, or undefined. */
  namespace(): string | undefined {
    const t = this.text;
    for (let k = this.i; k < t.length; k++) {
      const c = t.charCodeAt(k);
      if (c === 58) {
        const ns = t.slice(this.i, k);
        // Segments are names separated by '/'; an empty namespace is allowed (`/:CIM_Foo`).
        if (ns.length > 0) {
          for (const seg of ns.split('/')) {
            if (seg.length === 0) throw this.fail('empty namespace segment');
            for (let j = 0; j < seg.length; j++) if (!isNameChar(seg.charCodeAt(j))) throw this.fail(`"${seg[j]}" in namespace`, this.i + j);
          }
        }
        this.i = k + 1;
        return ns;
      }
      if (c === 46 || c === 61 || c === 34 || c === 39 || c === 44) return undefined;
    }
    return undefined;
  }

  path(): CimObjectPath {
    const host = this.authority();
    const kind = this.marker();
    if (kind !== null && kind !== 'namespace' && kind !== 'class' && kind !== 'instance') throw this.fail(`unknown object kind "(${kind})"`);
    const namespace = this.namespace();
    const kind2 = this.marker();
    if (kind2 !== null && kind2 !== 'class' && kind2 !== 'instance') throw this.fail(`unknown object kind "(${kind2})"`);
    const className = this.name('a class name');
    let keys: NameMap<CimKeyBinding> | null = null;
    if (this.startsWith('=@')) {
      this.i += 2;
      keys = new NameMap();
    } else if (this.peek() === 46) {
      this.i++;
      keys = new NameMap();
      for (;;) {
        const keyName = this.name('a key name');
        if (this.peek() !== 61) throw this.fail('expected "=" after key name');
        this.i++;
        if (keys.has(keyName)) throw this.fail(`key "${keyName}" given twice`);
        keys.set(keyName, this.keyValue(keyName));
        if (this.peek() !== 44) break;
        this.i++;
      }
    }
    if (this.i !== this.text.length) throw this.fail(`unexpected "${this.text[this.i]}"`);
    return new CimObjectPath(className, keys, namespace === undefined ? undefined : namespace, host);
  }

  quoted(q: number): string {
    const t = this.text;
    this.i++;
    let out = '';
    let s = this.i;
    for (;;) {
      if (this.i >= t.length) throw this.fail('unterminated quoted value');
      const c = t.charCodeAt(this.i);
      if (c === q) break;
      if (c === 92) {
        out += t.slice(s, this.i);
        const n = t.charCodeAt(this.i + 1);
        // Only \" \' and \\ are escapes; any other backslash stands for itself.
        if (n === 34 || n === 39 || n === 92) { out += t[this.i + 1]; this.i += 2; }
        else { out += '\\'; this.i++; }
        s = this.i;
        continue;
      }
      this.i++;
    }
    out += t.slice(s, this.i);
    this.i++;
    return out;
  }

  bare(): [string, number] {
    const s = this.i;
    while (this.i < this.text.length && this.text.charCodeAt(this.i) !== 44) this.i++;
    return [this.text.slice(s, this.i), s];
  }

  keyValue(name: string): CimKeyBinding {
    const start = this.i;
    const typeWord = this.marker();
    let type: CimType | null = null;
    if (typeWord !== null) {
      const w = typeWord.toLowerCase();
      if (!isCimType(w)) throw this.fail(`unknown type "(${typeWord})"`, start);
      type = w;
    }
    const c = this.peek();
    if (c === 34 || c === 39) {
      const text = this.quoted(c);
      if (type !== null) return { name, type, value: this.typed(type, text, start) };
      if (c === 39) {
        if (text.length !== 1) throw this.fail('a single-quoted value is a char16 of exactly one character', start);
        return { name, type: 'char16', value: text };
      }
      if (looksLikeNestedPath(text)) {
        try {
          return { name, type: 'reference', value: new PathReader(text, this.options, this.depth + 1).path() };
        } catch (e) {
          if (!(e instanceof CimError)) throw e;
        }
      }
      return { name, type: 'string', value: text };
    }
    const [text, at] = this.bare();
    if (text.length === 0) throw this.fail(`key "${name}" has no value`, at);
    if (type !== null) return { name, type, value: this.typed(type, text, at) };
    const lower = text.toLowerCase();
    if (lower === 'true' || lower === 'false') return { name, type: 'boolean', value: lower === 'true' };
    const inferred = inferNumberType(text);
    if (inferred !== null) {
      try {
        return { name, type: inferred, value: parseCimScalar(inferred, text) };
      } catch (e) {
        if (!(e instanceof CimError)) throw e;
        if (!this.options.bareStrings) throw this.fail(e.description, at);
      }
    }
    if (this.options.bareStrings) return { name, type: 'string', value: text };
    throw this.fail(`key "${name}": "${text}" is not a quoted string, number or boolean`, at);
  }

  typed(type: CimType, text: string, at: number): CimScalar {
    try {
      if (type === 'reference') return new PathReader(text, this.options, this.depth + 1).path();
      return parseCimScalar(type, text);
    } catch (e) {
      if (e instanceof CimError) throw this.fail(e.description, at);
      throw e;
    }
  }
}

/** uint64/sint64 for integer text, real64 for other numeric text, null when it is not numeric. */
function inferNumberType(text: string): CimType | null {
  let i = 0;
  const c0 = text.charCodeAt(0);
  const neg = c0 === 45;
  if (c0 === 43 || c0 === 45) i++;
  const c = text.charCodeAt(i);
  if (!((c >= 48 && c <= 57) || c === 46)) {
    const w = text.slice(i).toLowerCase();
    return w === 'inf' || w === 'nan' ? 'real64' : null;
  }
  if (c === 48 && (text.charCodeAt(i + 1) === 120 || text.charCodeAt(i + 1) === 88)) return neg ? 'sint64' : 'uint64';
  for (let k = i; k < text.length; k++) {
    const d = text.charCodeAt(k);
    if (d === 46 || d === 101 || d === 69) return 'real64';
  }
  return neg ? 'sint64' : 'uint64';
}

/**
 * Whether a quoted key value is an instance path rather than a plain string: it must read as
 * `[//host/][ns:]Class.key=...` and either carry a namespace or host, or a class name in DSP0004's
 * `Schema_Name` form. A string that merely contains dots and equals signs stays a string.
 */
function looksLikeNestedPath(text: string): boolean {
  if (text.length < 4 || text.indexOf('=') < 0) return false;
  let k = 0;
  if (text.startsWith('//')) return true;
  if (text.charCodeAt(0) === 47) k = 1;
  const colon = text.indexOf(':', k);
  const dot = text.indexOf('.', k);
  const eq = text.indexOf('=', k);
  const end = dot >= 0 && dot < eq ? dot : eq;
  const hasNs = colon >= 0 && colon < end;
  const cls = text.slice(hasNs ? colon + 1 : k, end);
  if (cls.length === 0 || !isNameStart(cls.charCodeAt(0))) return false;
  for (let j = 1; j < cls.length; j++) if (!isNameChar(cls.charCodeAt(j))) return false;
  return hasNs || cls.indexOf('_') > 0;
}

/** Any of the path forms: model path, WBEM URI (untyped or typed, local or with host), URL. */
export function parseObjectPath(text: string, options: PathParseOptions = {}): CimObjectPath {
  if (typeof text !== 'string') throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, 'object path is not a string');
  return new PathReader(text, options, 0).path();
}

function quote(s: string): string {
  let out = '"';
  let from = 0;
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c === 34 || c === 92) {
      out += s.slice(from, k) + '\\' + s[k];
      from = k + 1;
    }
  }
  return out + s.slice(from) + '"';
}

export interface PathFormatOptions {
  /** DSP0207 typed form: `(type)` before each key value and `(instance)`/`(class)` before the namespace. */
  typed?: boolean;
  /** Leading `/` for a local path (DSP0207 requires it; the model path omits it). */
  wbemUri?: boolean;
  /** Leave out host and namespace (the path as it appears inside its own namespace). */
  local?: boolean;
}

function keyText(b: CimKeyBinding, options: PathFormatOptions): string {
  const v = b.value;
  let s: string;
  if (typeof v === 'string') s = quote(v);
  else if (typeof v === 'boolean') s = v ? 'TRUE' : 'FALSE';
  else if (typeof v === 'bigint') s = v.toString();
  else if (typeof v === 'number') s = b.type === 'real32' ? formatReal32(v) : Number.isInteger(v) ? String(v + 0) : formatReal64(v);
  else if (v instanceof CimDateTime) s = quote(v.text);
  else if (v instanceof CimObjectPath) s = quote(formatObjectPath(v, { typed: options.typed, wbemUri: options.wbemUri }));
  else throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `key "${b.name}" holds an embedded object, which cannot be a key`);
  return options.typed ? `(${b.type})${s}` : s;
}

export function formatObjectPath(p: CimObjectPath, options: PathFormatOptions = {}): string {
  let out = '';
  if (!options.local) {
    if (p.host) out = `//${p.host}/`;
    else if (options.wbemUri) out = '/';
    if (options.typed) out += p.keys ? '(instance)' : '(class)';
    if (p.namespace !== undefined) out += `${p.namespace}:`;
    else if (options.wbemUri || p.host) out += ':';
  }
  out += p.className;
  if (p.keys) {
    if (p.keys.size === 0) return `${out}=@`;
    let first = true;
    for (const [name, b] of p.keys) {
      out += `${first ? '.' : ','}${name}=${keyText(b, options)}`;
      first = false;
    }
  }
  return out;
}

function canonicalValue(v: CimScalar, ns: string | undefined): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : String(v + 0);
  if (v instanceof CimDateTime) return JSON.stringify(v.text);
  if (v instanceof CimObjectPath) return JSON.stringify(canonicalPathKey(v, ns));
  throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, 'an embedded object cannot be a key value');
}

/** Normalises a namespace for comparison: lower case, no leading/trailing slashes. */
export function namespaceKey(ns: string | undefined): string {
  if (!ns) return '';
  let s = 0;
  let e = ns.length;
  while (s < e && ns.charCodeAt(s) === 47) s++;
  while (e > s && ns.charCodeAt(e - 1) === 47) e--;
  return ns.slice(s, e).toLowerCase();
}

/**
 * A string identifying the object regardless of spelling: namespace and class lower-cased, keys
 * sorted by lower-cased name, values typed-text (strings compare case-sensitively). The host is
 * left out: one server answers to many host names. A path without a namespace is taken to be in
 * `inheritedNamespace` when given (a reference inside a path shares that path's namespace).
 */
export function canonicalPathKey(p: CimObjectPath, inheritedNamespace?: string): string {
  const ns = p.namespace || inheritedNamespace;
  const head = `${namespaceKey(ns)}:${p.className.toLowerCase()}`;
  return p.keys ? head + canonicalKeysKey(p.keys, ns) : head;
}

/**
 * The key-bindings part of canonicalPathKey: `=@` for a singleton, else `.k1=v1,k2=v2` sorted.
 * A reference without a namespace is taken to live in `namespace`, the one of the path holding it.
 */
export function canonicalKeysKey(keys: NameMap<CimKeyBinding>, namespace?: string): string {
  if (keys.size === 0) return '=@';
  const parts: string[] = [];
  // forEach, not for-of: NameMap's iterator is a generator with a pair per entry, and every
  // repository lookup by path comes through here.
  keys.forEach((b, name) => { parts.push(canonicalBinding(name, b.value, namespace)); });
  return canonicalKeysText(parts);
}

/** One binding of canonicalKeysKey: `name=value`, the name lower-cased. */
export function canonicalBinding(name: string, value: CimScalar, namespace?: string): string {
  return `${name.toLowerCase()}=${canonicalValue(value, namespace)}`;
}

/** canonicalKeysKey from its bindings (canonicalBinding), which it sorts in place. */
export function canonicalKeysText(parts: string[]): string {
  if (parts.length === 0) return '=@';
  // One or two keys are most paths: no sort (and its comparator allocations) for them.
  if (parts.length === 1) return `.${parts[0]}`;
  if (parts.length === 2) {
    const a = parts[0]!;
    const b = parts[1]!;
    return a <= b ? `.${a},${b}` : `.${b},${a}`;
  }
  parts.sort();
  return `.${parts.join(',')}`;
}

/** A parsed wbemcli URL: `[http|https://][user[:password]@]host[:port]/namespace:Class[.keys]`. */
export interface WbemcliUrl {
  scheme: 'http' | 'https';
  user?: string;
  password?: string;
  host: string;
  /** The port given, or the scheme's default (5988 for http, 5989 for https). */
  port: number;
  path: CimObjectPath;
}

function urlFail(text: string, reason: string): CimError {
  return new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `invalid wbemcli URL "${text}": ${reason}`);
}

export function parseWbemcliUrl(text: string): WbemcliUrl {
  if (typeof text !== 'string') throw urlFail(String(text), 'not a string');
  let scheme: 'http' | 'https' = 'http';
  let rest = text;
  if (text.startsWith('http://')) rest = text.slice(7);
  else if (text.startsWith('https://')) { scheme = 'https'; rest = text.slice(8); }
  else if (text.includes('://')) throw urlFail(text, 'the scheme must be http or https');
  const slash = rest.indexOf('/');
  if (slash < 0) throw urlFail(text, 'expected "/namespace:Class" after the host');
  const authority = rest.slice(0, slash);
  const at = authority.lastIndexOf('@');
  let user: string | undefined;
  let password: string | undefined;
  if (at >= 0) {
    const info = authority.slice(0, at);
    const colon = info.indexOf(':');
    user = colon >= 0 ? info.slice(0, colon) : info;
    password = colon >= 0 ? info.slice(colon + 1) : undefined;
  }
  const hostPort = authority.slice(at + 1);
  let host = hostPort;
  let port = scheme === 'https' ? 5989 : 5988;
  const bracket = hostPort.lastIndexOf(']');
  const colon = hostPort.lastIndexOf(':');
  if (colon > bracket) {
    host = hostPort.slice(0, colon);
    const p = hostPort.slice(colon + 1);
    if (!/^[0-9]{1,5}$/.test(p) || Number(p) < 1 || Number(p) > 65535) throw urlFail(text, `port "${p}" is not 1-65535`);
    port = Number(p);
  }
  if (host.length === 0) throw urlFail(text, 'empty host');
  const local = rest.slice(slash + 1);
  if (local.indexOf(':') < 0) throw urlFail(text, 'expected "namespace:Class" after the host');
  let path: CimObjectPath;
  try {
    path = new PathReader(local, { bareStrings: true }, 0).path();
  } catch (e) {
    if (e instanceof CimError) throw urlFail(text, e.description.replace(/^invalid object path "[^]*?": /, ''));
    throw e;
  }
  if (path.host !== undefined) throw urlFail(text, 'a second host inside the path');
  path.host = colon > bracket ? hostPort : host;
  const out: WbemcliUrl = { scheme, host, port, path };
  if (user !== undefined) out.user = user;
  if (password !== undefined) out.password = password;
  return out;
}

export function formatWbemcliUrl(url: WbemcliUrl): string {
  const auth = url.user !== undefined ? `${url.user}${url.password !== undefined ? `:${url.password}` : ''}@` : '';
  return `${url.scheme}://${auth}${url.host}:${url.port}/${url.path.namespace ?? ''}:${formatObjectPath(url.path, { local: true })}`;
}
