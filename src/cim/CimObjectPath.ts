// An object path: optional host and namespace, a class name and, for an instance path, typed key
// bindings. The text forms (model path, DSP0207 WBEM URI, wbemcli URL) live in objectPathText.ts.
import { NameMap } from './NameMap.js';
import type { CimType } from './CimType.js';
import type { CimScalar } from './CimValue.js';
import {
  canonicalPathKey, formatObjectPath, formatWbemcliUrl, parseObjectPath, parseWbemcliUrl, type WbemcliUrl,
} from './objectPathText.js';

export interface CimKeyBinding {
  name: string;
  /** The key's CIM type; `string` when the sender gave none and it could not be inferred. */
  type: CimType;
  value: CimScalar;
}

export class CimObjectPath {
  constructor(
    public className: string,
    /** null for a class path; a (possibly empty, for keyless singletons) map for an instance path. */
    public keys: NameMap<CimKeyBinding> | null = null,
    public namespace?: string,
    public host?: string,
  ) {}

  get isInstancePath(): boolean {
    return this.keys !== null;
  }

  /**
   * Any text form: `CIM_Foo.k="v"`, `root/cimv2:CIM_Foo.k="v"`, `//host:5988/root/cimv2:CIM_Foo.k="v"`,
   * `/root/cimv2:CIM_Foo.k="v"`, the typed `/(instance)root/cimv2:CIM_Foo.k=(uint32)3`, with or
   * without a scheme, and `CIM_Foo=@` for a keyless singleton. Throws CimError(INVALID_PARAMETER).
   */
  static parse(text: string): CimObjectPath {
    return parseObjectPath(text);
  }

  /** A DSP0207 WBEM URI (untyped or typed); the same grammar as parse(). */
  static parseWbemUri(text: string): CimObjectPath {
    return parseObjectPath(text);
  }

  /** The untyped model path (`[ns:]Class.k=v,...`); the same grammar as parse(). */
  static parseUntypedPath(text: string): CimObjectPath {
    return parseObjectPath(text);
  }

  /** wbemcli's URL form, `http://user:pw@host:5988/root/tvdc:TVDc_ComputerSystem.Name="vm1"`. */
  static parseWbemcliUrl(text: string): WbemcliUrl {
    return parseWbemcliUrl(text);
  }

  /** An instance path from plain key values; types are inferred as parse() infers them from text. */
  static instance(className: string, keys: Record<string, CimScalar> | CimKeyBinding[], namespace?: string, host?: string): CimObjectPath {
    const m = new NameMap<CimKeyBinding>();
    if (Array.isArray(keys)) for (const b of keys) m.set(b.name, b);
    else for (const [name, value] of Object.entries(keys)) m.set(name, { name, type: inferKeyType(value), value });
    return new CimObjectPath(className, m, namespace, host);
  }

  /** The model path: `//host/ns:Class.k="v"`, `ns:Class.k="v"` or `Class.k="v"`. */
  toString(): string {
    return formatObjectPath(this);
  }

  /** DSP0207: `//host/ns:Class.k="v"` or `/ns:Class.k="v"`; typed adds `(instance)` and `(type)` markers. */
  toWbemUri(options: { typed?: boolean } = {}): string {
    return formatObjectPath(this, { wbemUri: true, typed: options.typed === true });
  }

  /** Class and keys only, as the path reads inside its own namespace. */
  toLocalString(): string {
    return formatObjectPath(this, { local: true });
  }

  /** wbemcli's URL for this path on `host` (this.host when omitted). */
  toWbemcliUrl(options: { scheme?: 'http' | 'https'; user?: string; password?: string; host?: string; port?: number } = {}): string {
    const scheme = options.scheme ?? 'http';
    let host = options.host ?? this.host ?? 'localhost';
    let port = options.port;
    const colon = host.lastIndexOf(':');
    if (port === undefined && colon > host.lastIndexOf(']')) {
      port = Number(host.slice(colon + 1));
      host = host.slice(0, colon);
    }
    const url: WbemcliUrl = { scheme, host, port: port ?? (scheme === 'https' ? 5989 : 5988), path: this };
    if (options.user !== undefined) url.user = options.user;
    if (options.password !== undefined) url.password = options.password;
    return formatWbemcliUrl(url);
  }

  /** Identity for maps: namespace, class and keys, case-insensitive names, host ignored. */
  canonicalKey(): string {
    return canonicalPathKey(this);
  }

  equals(other: CimObjectPath): boolean {
    return canonicalPathKey(this) === canonicalPathKey(other);
  }

  /** A copy with its own key map (values are immutable or paths, which are copied too). */
  clone(): CimObjectPath {
    const keys = this.keys
      ? this.keys.clone((b) => ({ ...b, value: b.value instanceof CimObjectPath ? b.value.clone() : b.value }))
      : null;
    return new CimObjectPath(this.className, keys, this.namespace, this.host);
  }

  /** The value of key `name`, or undefined. */
  key(name: string): CimScalar | undefined {
    return this.keys?.get(name)?.value;
  }
}

function inferKeyType(v: CimScalar): CimType {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'bigint') return v < 0n ? 'sint64' : 'uint64';
  if (typeof v === 'number') return Number.isInteger(v) ? (v < 0 ? 'sint32' : 'uint32') : 'real64';
  if (v instanceof CimObjectPath) return 'reference';
  if ((v as { text?: unknown }).text !== undefined && (v as { fields?: unknown }).fields !== undefined) return 'datetime';
  return 'string';
}

export type { WbemcliUrl };
