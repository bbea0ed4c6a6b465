// The provider interface: what a domain provider (isolation, integrity, indications...) implements
// to serve one CIM class in one namespace. Registered with WbemServer.registerProvider(ns, class, p).
//
// Every operation is optional. The server answers CIM_ERR_NOT_SUPPORTED for an operation the
// provider for the target class lacks, and checks roles before calling a provider, so providers
// never see a request the caller may not make. Providers signal failure by throwing CimError.
import type { CimInstance } from '../cim/CimInstance.js';
import type { CimObjectPath } from '../cim/CimObjectPath.js';
import type { CimType } from '../cim/CimType.js';
import type { CimValue, EmbeddedKind } from '../cim/CimValue.js';
import type { AccessGrant } from './AccessGrant.js';
import type { OneTimeCredentials } from './OneTimeCredentials.js';

/** Access levels, each including the one before: read < write < admin. */
export type Role = 'read' | 'write' | 'admin';

/**
 * A sequence of results. Providers with many objects return an AsyncIterable so the server can
 * stream the response: the first objects leave before the last are produced. Objects handed to
 * the server become its own (it stamps paths and trims properties in place): return copies of
 * anything the provider keeps.
 */
export type Results<T> = AsyncIterable<T> | Iterable<T> | Promise<Iterable<T> | AsyncIterable<T>>;

/** What the server tells a provider about the call it is serving. */
export interface ProviderContext {
  /** The namespace of the request, normalised (`root/interop` also when the client said `interop`). */
  readonly namespace: string;
  /** The authenticated user name; null when the server runs without a users file. */
  readonly user: string | null;
  readonly role: Role;
  /**
   * Set when the caller authenticated with a one-time credential: the server let through only a
   * call the grant lists, and the provider of a granted method holds it to `grant.scope`.
   */
  readonly grant?: AccessGrant | null;
  /**
   * Where a provider issues one-time credentials (a migration ticket); null when the server runs
   * without a users file, where every caller is the anonymous admin and no credential is checked.
   */
  readonly oneTimeCredentials?: OneTimeCredentials | null;
  /**
   * Hands an indication instance (of a class qualified Indication) to the server's indication
   * pipeline, which matches it against the subscriptions' filters. Never throws; an indication
   * emitted while no pipeline is attached is dropped.
   */
  emitIndication(namespace: string, indication: CimInstance): void;
  /** Aborted when the client went away or the server is closing; long providers may watch it. */
  readonly signal: AbortSignal;
}

/** Options of the instance-returning operations; providers may ignore them, the server applies them afterwards. */
export interface InstanceOptions {
  /** null or undefined: all properties. */
  propertyList?: readonly string[] | null;
  includeQualifiers?: boolean;
  includeClassOrigin?: boolean;
  /** EnumerateInstances only: false asks for only the properties of the requested class. */
  deepInheritance?: boolean;
}

/** A method parameter value, typed by the method's declaration before the provider sees it. */
export interface ParamValue {
  name: string;
  type: CimType;
  isArray: boolean;
  value: CimValue;
  /** For embedded-object string parameters; the value is then a CimInstance or CimClass. */
  embeddedObject?: EmbeddedKind;
}

export interface MethodResult {
  returnValue: CimValue;
  /** Defaults to the method's declared return type. */
  returnType?: CimType;
  /** OUT parameters; their types default to the declared ones. */
  outParams?: Array<Omit<ParamValue, 'type' | 'isArray'> & Partial<Pick<ParamValue, 'type' | 'isArray'>>>;
}

/** Filters of Associators / AssociatorNames (References uses only resultClass and role). */
export interface AssociationFilter {
  /** An association class the link must be (a subclass of). */
  assocClass?: string | null;
  /** The class the far object must be (a subclass of); for References, the association class. */
  resultClass?: string | null;
  /** The reference property of the association that names the source object. */
  role?: string | null;
  /** The reference property that names the far object. */
  resultRole?: string | null;
}

export interface InstanceProvider {
  /**
   * Instances of `className` and, when the server asks deep, its subclasses the provider serves.
   * Each instance should carry its path (namespace may be omitted).
   */
  enumerateInstances?(ctx: ProviderContext, className: string, options: InstanceOptions): Results<CimInstance>;
  /** Defaults to the paths of enumerateInstances when absent. */
  enumerateInstanceNames?(ctx: ProviderContext, className: string): Results<CimObjectPath>;
  /** Defaults to a search of enumerateInstances when absent. Throws CIM_ERR_NOT_FOUND. */
  getInstance?(ctx: ProviderContext, path: CimObjectPath, options: InstanceOptions): Promise<CimInstance> | CimInstance;
  /** Returns the path of the created instance. Throws CIM_ERR_ALREADY_EXISTS. */
  createInstance?(ctx: ProviderContext, instance: CimInstance): Promise<CimObjectPath> | CimObjectPath;
  /** `propertyList` null: every property in `instance` is to be set. */
  modifyInstance?(ctx: ProviderContext, instance: CimInstance, propertyList: readonly string[] | null): Promise<void> | void;
  deleteInstance?(ctx: ProviderContext, path: CimObjectPath): Promise<void> | void;
}

export interface MethodProvider {
  /**
   * An extrinsic method on an instance (`path.keys` set) or a class (static method). `inParams`
   * are already coerced to the declared types; unknown parameters were refused by the server.
   */
  invokeMethod?(ctx: ProviderContext, path: CimObjectPath, methodName: string, inParams: ParamValue[]): Promise<MethodResult> | MethodResult;
}

/**
 * Registered for an association class. Without these the server traverses the association
 * generically over the instances enumerateInstances returns; implement them when the provider
 * can answer faster than by a full enumeration, or for links it cannot enumerate.
 */
export interface AssociationProvider {
  /** The objects linked to `source` by this provider's association class, as full instances. */
  associators?(ctx: ProviderContext, source: CimObjectPath, filter: AssociationFilter, options: InstanceOptions): Results<CimInstance>;
  associatorNames?(ctx: ProviderContext, source: CimObjectPath, filter: AssociationFilter): Results<CimObjectPath>;
  /** The association instances naming `source`. */
  references?(ctx: ProviderContext, source: CimObjectPath, filter: AssociationFilter, options: InstanceOptions): Results<CimInstance>;
  referenceNames?(ctx: ProviderContext, source: CimObjectPath, filter: AssociationFilter): Results<CimObjectPath>;
}

/** A provider serves any subset of the three families for its class. */
export interface Provider extends InstanceProvider, MethodProvider, AssociationProvider {
  /**
   * The role an extrinsic method needs beyond the `write` every method call does, by method name
   * (case-insensitive). The server checks it before the provider runs and answers
   * CIM_ERR_ACCESS_DENIED naming the method and the role; a one-time credential's grant, which
   * lists its methods one by one, is not held to it.
   */
  readonly methodRoles?: Readonly<Record<string, Role>>;
  /** Called once when the server closes (release timers, child processes). */
  close?(): Promise<void> | void;
}

/**
 * The server's indication pipeline as providers and the repository provider see it. The
 * indications work (src/wbem/indications) implements it and plugs it in with
 * WbemServer.attachIndications(sink).
 */
export interface IndicationSink {
  /** Takes one indication; must not throw, and must not block the caller on delivery. */
  emit(namespace: string, indication: CimInstance): void;
  /** Flushes and stops delivery; called by WbemServer.close(). */
  close(): Promise<void>;
}

/** Turns any Results<T> into an async iterator without buffering an AsyncIterable. */
export async function* iterateResults<T>(results: Results<T>): AsyncIterable<T> {
  const r = await results;
  if (Symbol.asyncIterator in (r as object)) {
    yield* r as AsyncIterable<T>;
  } else {
    yield* r as Iterable<T>;
  }
}

/** How many objects of a synchronous result travel together through the server's pipeline. */
const BATCH = 256;

/**
 * Any Results<T> as batches: synchronous results in slices (one await per slice instead of one
 * per object, which matters for enumerations of many thousands), asynchronous ones as they come.
 */
export async function* iterateBatches<T>(results: Results<T>): AsyncIterable<T[]> {
  const r = await results;
  if (Array.isArray(r)) {
    for (let i = 0; i < r.length; i += BATCH) yield r.length <= BATCH ? r : r.slice(i, i + BATCH);
  } else if (Symbol.asyncIterator in (r as object)) {
    for await (const x of r as AsyncIterable<T>) yield [x];
  } else {
    let batch: T[] = [];
    for (const x of r as Iterable<T>) {
      batch.push(x);
      if (batch.length === BATCH) { yield batch; batch = []; }
    }
    if (batch.length) yield batch;
  }
}

/** Whether `have` is allowed to do what needs `need`. */
export function roleAllows(have: Role, need: Role): boolean {
  const rank: Record<Role, number> = { read: 0, write: 1, admin: 2 };
  return rank[have] >= rank[need];
}
