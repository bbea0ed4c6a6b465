// A connection to one WBEM server: every DSP0200 intrinsic operation, extrinsic method calls with
// typed parameters, and pull enumerations as async iterators that fall back to the classic
// operations when the server does not implement them. The public face of the client library.
import { CimClass } from '../../src/cim/CimClass.js';
import { CimError, CimStatus } from '../../src/cim/CimError.js';
import type { CimInstance } from '../../src/cim/CimInstance.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import type { CimQualifierDeclaration } from '../../src/cim/CimQualifierDeclaration.js';
import type { CimType } from '../../src/cim/CimType.js';
import type { CimValue } from '../../src/cim/CimValue.js';
import { formatObjectPath } from '../../src/cim/objectPathText.js';
import { encodeMessage, toWireValue, type IMethodResponse, type MethodResponse, type ParamValue, type ReturnItem, type WireValue } from '../../src/xml/index.js';
import { HttpStatusError, InvalidArgumentError, ResponseParseError } from './ClientError.js';
import { DEFAULT_NAMESPACE, type ConnectionOptions } from './ConnectionOptions.js';
import { HttpTransport } from './HttpTransport.js';
import { IntrinsicParams } from './intrinsicParams.js';
import { IntrinsicRequests } from './IntrinsicRequests.js';
import { toParamValue, type MethodArgument } from './MethodArgument.js';
import { toMethodResult, untypedValue, type MethodResult } from './MethodResult.js';
import type * as O from './OperationOptions.js';
import { ResponseDecoder, readResponseItems } from './ResponseReader.js';
import { ResultStream } from './ResultStream.js';
import { itemToClass, itemToClassName, itemToInstance, itemToObject, itemToPath, type PathContext } from './returnItems.js';

/** Objects per pull response when the caller does not say. */
const DEFAULT_MAX_OBJECT_COUNT = 1000;

type Convert<T> = (item: ReturnItem, operation: string, ctx: PathContext) => T;

export class WbemConnection {
  readonly transport: HttpTransport;
  /** Namespace used when neither the call nor the path names one. */
  readonly namespace: string;
  /**
   * Whether the server implements the pull operations: learnt from the first Open* answer, so a
   * server without them costs one refused request per connection, not one per enumeration.
   */
  pullSupported: boolean | undefined;
  private messageId = 1000;
  private readonly requests = new IntrinsicRequests();

  constructor(url: string, options: ConnectionOptions = {}) {
    this.transport = new HttpTransport(url, options);
    this.namespace = options.namespace ?? DEFAULT_NAMESPACE;
  }

  // ------------------------------------------------------------------ plumbing

  private ns(opts: O.NamespaceOption | undefined, path?: CimObjectPath): string {
    return path?.namespace ?? opts?.namespace ?? this.namespace;
  }

  private ctx(namespace: string): PathContext {
    return { namespace, host: this.transport.target };
  }

  private methodCallBody(name: string, target: CimObjectPath, params: ParamValue[]): string {
    return encodeMessage({ kind: 'SIMPLEREQ', id: String(++this.messageId), call: { kind: 'METHODCALL', name, target, params } });
  }

  /** Sends an intrinsic operation; its answer is decoded into the returned decoder as it arrives. */
  private send(name: string, namespace: string, params: ParamValue[], streaming: boolean): ResponseDecoder {
    const d = new ResponseDecoder(name, true, streaming);
    const body = this.requests.encode(String(++this.messageId), name, namespace, params);
    d.exchange = this.transport.post({ method: name, object: namespace }, body, true, d);
    return d;
  }

  /** Sends an intrinsic operation and yields its IRETURNVALUE items, converted, as they arrive. */
  private intrinsic<T>(name: string, namespace: string, params: ParamValue[], convert: Convert<T>): AsyncGenerator<T, IMethodResponse> {
    const ctx = this.ctx(namespace);
    return readResponseItems(() => this.send(name, namespace, params, true), (item) => convert(item, name, ctx)) as AsyncGenerator<T, IMethodResponse>;
  }

  private async intrinsicAll(name: string, namespace: string, params: ParamValue[]): Promise<{ items: ReturnItem[]; response: IMethodResponse }> {
    const d = this.send(name, namespace, params, false);
    const response = await d.result();
    return { items: d.items, response: response as IMethodResponse };
  }

  private stream<T>(name: string, namespace: string, params: ParamValue[], convert: Convert<T>): ResultStream<T> {
    return new ResultStream(() => this.intrinsic(name, namespace, params, convert));
  }

  private async single<T>(name: string, namespace: string, params: ParamValue[], convert: Convert<T>): Promise<T> {
    const d = this.send(name, namespace, params, false);
    await d.result();
    return only(d.items, name, namespace, this.transport.target, convert);
  }

  private async none(name: string, namespace: string, params: ParamValue[]): Promise<void> {
    await this.send(name, namespace, params, false).result();
  }

  // ------------------------------------------------------------------ classes

  getClass(className: string, opts: O.GetClassOptions = {}): Promise<CimClass> {
    const p = new IntrinsicParams().className('ClassName', className)
      .bool('LocalOnly', opts.localOnly).bool('IncludeQualifiers', opts.includeQualifiers)
      .bool('IncludeClassOrigin', opts.includeClassOrigin).propertyList('PropertyList', opts.propertyList);
    return this.single('GetClass', this.ns(opts), p.list, (i, op) => itemToClass(i, op));
  }

  enumerateClasses(className?: string | null, opts: O.EnumerateClassesOptions = {}): ResultStream<CimClass> {
    const p = new IntrinsicParams().className('ClassName', className)
      .bool('DeepInheritance', opts.deepInheritance).bool('LocalOnly', opts.localOnly)
      .bool('IncludeQualifiers', opts.includeQualifiers).bool('IncludeClassOrigin', opts.includeClassOrigin);
    return this.stream('EnumerateClasses', this.ns(opts), p.list, (i, op) => itemToClass(i, op));
  }

  enumerateClassNames(className?: string | null, opts: O.EnumerateClassNamesOptions = {}): ResultStream<string> {
    const p = new IntrinsicParams().className('ClassName', className).bool('DeepInheritance', opts.deepInheritance);
    return this.stream('EnumerateClassNames', this.ns(opts), p.list, (i, op) => itemToClassName(i, op));
  }

  createClass(cls: CimClass, opts: O.NamespaceOption = {}): Promise<void> {
    return this.none('CreateClass', this.ns(opts), new IntrinsicParams().raw({ name: 'NewClass', value: { kind: 'CLASS', cls } }).list);
  }

  modifyClass(cls: CimClass, opts: O.NamespaceOption = {}): Promise<void> {
    return this.none('ModifyClass', this.ns(opts), new IntrinsicParams().raw({ name: 'ModifiedClass', value: { kind: 'CLASS', cls } }).list);
  }

  deleteClass(className: string, opts: O.NamespaceOption = {}): Promise<void> {
    return this.none('DeleteClass', this.ns(opts), new IntrinsicParams().className('ClassName', className).list);
  }

  // ------------------------------------------------------------------ instances

  async getInstance(path: CimObjectPath, opts: O.GetInstanceOptions = {}): Promise<CimInstance> {
    requireInstancePath(path, 'GetInstance');
    const ns = this.ns(opts, path);
    // No localPath() copy: INSTANCENAME carries neither host nor namespace, and the request is
    // encoded before this returns, so the caller's path is neither changed nor kept.
    const p = new IntrinsicParams().instanceName('InstanceName', path)
      .bool('LocalOnly', opts.localOnly).bool('IncludeQualifiers', opts.includeQualifiers)
      .bool('IncludeClassOrigin', opts.includeClassOrigin).propertyList('PropertyList', opts.propertyList);
    // send() + result() rather than single(): one async layer less on the most frequent call.
    const d = this.send('GetInstance', ns, p.list, false);
    await d.result();
    const inst = only(d.items, 'GetInstance', ns, this.transport.target, itemToInstance);
    // GetInstance returns a bare INSTANCE: its path is the one asked for.
    if (!inst.path) {
      const asked = path.clone();
      asked.namespace = ns;
      inst.path = asked;
    }
    return inst;
  }

  enumerateInstances(className: string, opts: O.EnumerateInstancesOptions = {}): ResultStream<CimInstance> {
    return this.stream('EnumerateInstances', this.ns(opts), this.enumInstancesParams(className, opts).list, itemToInstance);
  }

  private enumInstancesParams(className: string, opts: O.EnumerateInstancesOptions): IntrinsicParams {
    return new IntrinsicParams().className('ClassName', className)
      .bool('LocalOnly', opts.localOnly).bool('DeepInheritance', opts.deepInheritance)
      .bool('IncludeQualifiers', opts.includeQualifiers).bool('IncludeClassOrigin', opts.includeClassOrigin)
      .propertyList('PropertyList', opts.propertyList);
  }

  enumerateInstanceNames(className: string, opts: O.NamespaceOption = {}): ResultStream<CimObjectPath> {
    return this.stream('EnumerateInstanceNames', this.ns(opts), new IntrinsicParams().className('ClassName', className).list, itemToPath);
  }

  /** Creates `instance` and returns the path the server gave it. */
  async createInstance(instance: CimInstance, opts: O.NamespaceOption = {}): Promise<CimObjectPath> {
    const ns = this.ns(opts, instance.path);
    const p = new IntrinsicParams().raw({ name: 'NewInstance', value: { kind: 'INSTANCE', instance: withoutPath(instance) } });
    return this.single('CreateInstance', ns, p.list, itemToPath);
  }

  /** Modifies the instance named by `instance.path`. */
  modifyInstance(instance: CimInstance, opts: O.NamespaceOption & { includeQualifiers?: boolean; propertyList?: readonly string[] | null } = {}): Promise<void> {
    if (!instance.path) throw new InvalidArgumentError('ModifyInstance needs the instance path (instance.path)');
    requireInstancePath(instance.path, 'ModifyInstance');
    const ns = this.ns(opts, instance.path);
    const named = withoutPath(instance);
    named.path = localPath(instance.path);
    const p = new IntrinsicParams().raw({ name: 'ModifiedInstance', value: { kind: 'VALUE.NAMEDINSTANCE', instance: named } })
      .bool('IncludeQualifiers', opts.includeQualifiers).propertyList('PropertyList', opts.propertyList);
    return this.none('ModifyInstance', ns, p.list);
  }

  deleteInstance(path: CimObjectPath, opts: O.NamespaceOption = {}): Promise<void> {
    requireInstancePath(path, 'DeleteInstance');
    return this.none('DeleteInstance', this.ns(opts, path), new IntrinsicParams().instanceName('InstanceName', localPath(path)).list);
  }

  /** The property's value as the server sent it (text, array of texts, reference), untyped. */
  async getProperty(path: CimObjectPath, propertyName: string, opts: O.NamespaceOption = {}): Promise<CimValue> {
    requireInstancePath(path, 'GetProperty');
    const p = new IntrinsicParams().text('PropertyName', propertyName).instanceName('InstanceName', localPath(path));
    const { items } = await this.intrinsicAll('GetProperty', this.ns(opts, path), p.list);
    if (items.length === 0) return null;
    const item = items[0]!;
    if (item.kind === 'VALUE' || item.kind === 'VALUE.ARRAY' || item.kind === 'VALUE.REFERENCE') return untypedValue(item);
    throw new ResponseParseError(`expected a value in IRETURNVALUE, got ${item.kind}`, 'GetProperty');
  }

  /** Sets one property; `type` says how to write the value (the property's declared type). */
  setProperty(path: CimObjectPath, propertyName: string, value: CimValue, type: CimType, opts: O.NamespaceOption = {}): Promise<void> {
    requireInstancePath(path, 'SetProperty');
    const p = new IntrinsicParams().text('PropertyName', propertyName);
    const w: WireValue | null = toWireValue(value, type);
    if (w !== null) p.raw({ name: 'NewValue', value: w });
    p.instanceName('InstanceName', localPath(path));
    return this.none('SetProperty', this.ns(opts, path), p.list);
  }

  // ------------------------------------------------------------------ associations

  associators(objectName: CimObjectPath, opts: O.AssociatorsOptions = {}): ResultStream<CimInstance | CimClass> {
    const p = new IntrinsicParams().objectName('ObjectName', localPath(objectName))
      .className('AssocClass', opts.assocClass).className('ResultClass', opts.resultClass)
      .text('Role', opts.role).text('ResultRole', opts.resultRole)
      .bool('IncludeQualifiers', opts.includeQualifiers).bool('IncludeClassOrigin', opts.includeClassOrigin)
      .propertyList('PropertyList', opts.propertyList);
    return this.stream('Associators', this.ns(opts, objectName), p.list, itemToObject);
  }

  associatorNames(objectName: CimObjectPath, opts: O.AssociatorNamesOptions = {}): ResultStream<CimObjectPath> {
    const p = new IntrinsicParams().objectName('ObjectName', localPath(objectName))
      .className('AssocClass', opts.assocClass).className('ResultClass', opts.resultClass)
      .text('Role', opts.role).text('ResultRole', opts.resultRole);
    return this.stream('AssociatorNames', this.ns(opts, objectName), p.list, itemToPath);
  }

  references(objectName: CimObjectPath, opts: O.ReferencesOptions = {}): ResultStream<CimInstance | CimClass> {
    const p = new IntrinsicParams().objectName('ObjectName', localPath(objectName))
      .className('ResultClass', opts.resultClass).text('Role', opts.role)
      .bool('IncludeQualifiers', opts.includeQualifiers).bool('IncludeClassOrigin', opts.includeClassOrigin)
      .propertyList('PropertyList', opts.propertyList);
    return this.stream('References', this.ns(opts, objectName), p.list, itemToObject);
  }

  referenceNames(objectName: CimObjectPath, opts: O.ReferenceNamesOptions = {}): ResultStream<CimObjectPath> {
    const p = new IntrinsicParams().objectName('ObjectName', localPath(objectName))
      .className('ResultClass', opts.resultClass).text('Role', opts.role);
    return this.stream('ReferenceNames', this.ns(opts, objectName), p.list, itemToPath);
  }

  /** ExecQuery (e.g. language `WQL` or `DMTF:CQL`). */
  execQuery(queryLanguage: string, query: string, opts: O.NamespaceOption = {}): ResultStream<CimInstance | CimClass> {
    const p = new IntrinsicParams().text('QueryLanguage', queryLanguage).text('Query', query);
    return this.stream('ExecQuery', this.ns(opts), p.list, itemToObject);
  }

  // ------------------------------------------------------------------ qualifier declarations

  getQualifier(name: string, opts: O.NamespaceOption = {}): Promise<CimQualifierDeclaration> {
    return this.single('GetQualifier', this.ns(opts), new IntrinsicParams().text('QualifierName', name).list, (item, op) => {
      if (item.kind === 'QUALIFIER.DECLARATION') return item.declaration;
      throw new ResponseParseError(`expected QUALIFIER.DECLARATION, got ${item.kind}`, op);
    });
  }

  enumerateQualifiers(opts: O.NamespaceOption = {}): ResultStream<CimQualifierDeclaration> {
    return this.stream('EnumerateQualifiers', this.ns(opts), [], (item, op) => {
      if (item.kind === 'QUALIFIER.DECLARATION') return item.declaration;
      throw new ResponseParseError(`expected QUALIFIER.DECLARATION, got ${item.kind}`, op);
    });
  }

  setQualifier(declaration: CimQualifierDeclaration, opts: O.NamespaceOption = {}): Promise<void> {
    return this.none('SetQualifier', this.ns(opts), [{ name: 'QualifierDeclaration', value: { kind: 'QUALIFIER.DECLARATION', declaration } }]);
  }

  deleteQualifier(name: string, opts: O.NamespaceOption = {}): Promise<void> {
    return this.none('DeleteQualifier', this.ns(opts), new IntrinsicParams().text('QualifierName', name).list);
  }

  // ------------------------------------------------------------------ extrinsic methods

  /**
   * Calls `method` on an instance (instance path) or a class (class path, a static method).
   * Arguments are typed values `{ type: 'uint32', value: 5 }` or plain JS values (type inferred).
   * Never retried: the server may have acted before a connection failure.
   */
  async invokeMethod(target: CimObjectPath, method: string, args: Record<string, MethodArgument> | [string, MethodArgument][] = {}, opts: O.NamespaceOption = {}): Promise<MethodResult> {
    const ns = this.ns(opts, target);
    const t = localPath(target);
    t.namespace = ns;
    const entries = Array.isArray(args) ? args : Object.entries(args);
    const params = entries.map(([name, a]) => toParamValue(name, a));
    const body = this.methodCallBody(method, t, params);
    const d = new ResponseDecoder(method, false, false);
    d.exchange = this.transport.post({ method, object: formatObjectPath(t) }, body, false, d);
    const response = await d.result();
    return toMethodResult(response as MethodResponse);
  }

  // ------------------------------------------------------------------ pull enumerations

  /** All instances of a class (with paths), pulled `maxObjectCount` at a time; EnumerateInstances when pulls are unsupported. */
  pullInstances(className: string, opts: O.PullInstancesOptions = {}): ResultStream<CimInstance> {
    const ns = this.ns(opts);
    const p = new IntrinsicParams().className('ClassName', className)
      .bool('DeepInheritance', opts.deepInheritance).bool('IncludeClassOrigin', opts.includeClassOrigin)
      .propertyList('PropertyList', opts.propertyList);
    return this.pull('OpenEnumerateInstances', 'PullInstancesWithPath', ns, p, opts, itemToInstance,
      () => this.enumerateInstances(className, { namespace: ns, deepInheritance: opts.deepInheritance, includeClassOrigin: opts.includeClassOrigin, propertyList: opts.propertyList }));
  }

  pullInstancePaths(className: string, opts: O.PullOptions = {}): ResultStream<CimObjectPath> {
    const ns = this.ns(opts);
    const p = new IntrinsicParams().className('ClassName', className);
    return this.pull('OpenEnumerateInstancePaths', 'PullInstancePaths', ns, p, opts, itemToPath,
      () => this.enumerateInstanceNames(className, { namespace: ns }));
  }

  pullAssociatorInstances(objectName: CimObjectPath, opts: O.PullAssociatorsOptions = {}): ResultStream<CimInstance> {
    const ns = this.ns(opts, objectName);
    const p = new IntrinsicParams().instanceName('InstanceName', localPath(objectName))
      .className('AssocClass', opts.assocClass).className('ResultClass', opts.resultClass)
      .text('Role', opts.role).text('ResultRole', opts.resultRole)
      .bool('IncludeClassOrigin', opts.includeClassOrigin).propertyList('PropertyList', opts.propertyList);
    return this.pull('OpenAssociatorInstances', 'PullInstancesWithPath', ns, p, opts, itemToInstance,
      () => mapStream(this.associators(objectName, { ...opts, namespace: ns }), (o) => asInstance(o, 'Associators')));
  }

  pullAssociatorInstancePaths(objectName: CimObjectPath, opts: O.PullAssociatorsOptions = {}): ResultStream<CimObjectPath> {
    const ns = this.ns(opts, objectName);
    const p = new IntrinsicParams().instanceName('InstanceName', localPath(objectName))
      .className('AssocClass', opts.assocClass).className('ResultClass', opts.resultClass)
      .text('Role', opts.role).text('ResultRole', opts.resultRole);
    return this.pull('OpenAssociatorInstancePaths', 'PullInstancePaths', ns, p, opts, itemToPath,
      () => this.associatorNames(objectName, { ...opts, namespace: ns }));
  }

  pullReferenceInstances(objectName: CimObjectPath, opts: O.PullReferencesOptions = {}): ResultStream<CimInstance> {
    const ns = this.ns(opts, objectName);
    const p = new IntrinsicParams().instanceName('InstanceName', localPath(objectName))
      .className('ResultClass', opts.resultClass).text('Role', opts.role)
      .bool('IncludeClassOrigin', opts.includeClassOrigin).propertyList('PropertyList', opts.propertyList);
    return this.pull('OpenReferenceInstances', 'PullInstancesWithPath', ns, p, opts, itemToInstance,
      () => mapStream(this.references(objectName, { ...opts, namespace: ns }), (o) => asInstance(o, 'References')));
  }

  pullReferenceInstancePaths(objectName: CimObjectPath, opts: O.PullReferencesOptions = {}): ResultStream<CimObjectPath> {
    const ns = this.ns(opts, objectName);
    const p = new IntrinsicParams().instanceName('InstanceName', localPath(objectName))
      .className('ResultClass', opts.resultClass).text('Role', opts.role);
    return this.pull('OpenReferenceInstancePaths', 'PullInstancePaths', ns, p, opts, itemToPath,
      () => this.referenceNames(objectName, { ...opts, namespace: ns }));
  }

  /** OpenQueryInstances; ExecQuery when pulls are unsupported. */
  pullQueryInstances(queryLanguage: string, query: string, opts: O.PullOptions = {}): ResultStream<CimInstance> {
    const ns = this.ns(opts);
    const p = new IntrinsicParams().text('FilterQueryLanguage', queryLanguage).text('FilterQuery', query).bool('ReturnQueryResultClass', false);
    const plain = { ...opts, filterQuery: undefined, filterQueryLanguage: undefined };
    return this.pull('OpenQueryInstances', 'PullInstances', ns, p, plain, itemToInstance,
      () => mapStream(this.execQuery(queryLanguage, query, { namespace: ns }), (o) => asInstance(o, 'ExecQuery')));
  }

  private pull<T>(
    openName: string, pullName: string, ns: string, base: IntrinsicParams, opts: O.PullOptions,
    convert: Convert<T>, fallback: () => AsyncIterable<T>,
  ): ResultStream<T> {
    const self = this;
    const max = opts.maxObjectCount ?? DEFAULT_MAX_OBJECT_COUNT;
    if (!Number.isInteger(max) || max < 1) throw new InvalidArgumentError(`maxObjectCount must be a positive integer, not ${max}`);
    base.text('FilterQueryLanguage', opts.filterQueryLanguage).text('FilterQuery', opts.filterQuery)
      .text('OperationTimeout', opts.operationTimeout).bool('ContinueOnError', opts.continueOnError)
      .text('MaxObjectCount', max);
    return new ResultStream(async function* () {
      if (self.pullSupported === false && !opts.filterQuery) {
        yield* fallback();
        return;
      }
      let context: string | undefined;
      let end = false;
      try {
        let response: IMethodResponse;
        try {
          response = yield* self.intrinsic(openName, ns, base.list, convert);
        } catch (e) {
          if (isUnsupported(e) && !opts.filterQuery) {
            self.pullSupported = false;
            yield* fallback();
            end = true;
            return;
          }
          throw e;
        }
        self.pullSupported = true;
        ({ context, end } = pullState(response, openName));
        while (!end) {
          const p = new IntrinsicParams().text('EnumerationContext', context).text('MaxObjectCount', max);
          response = yield* self.intrinsic(pullName, ns, p.list, convert);
          ({ context, end } = pullState(response, pullName));
        }
      } finally {
        // The caller stopped early: tell the server to drop the context rather than let it time out.
        if (!end && context !== undefined) {
          await self.intrinsicAll('CloseEnumeration', ns, new IntrinsicParams().text('EnumerationContext', context).list).catch(() => undefined);
        }
      }
    });
  }

  // ------------------------------------------------------------------ lifecycle

  /** Waits for requests in flight, then closes the sockets. */
  close(): Promise<void> {
    return this.transport.close();
  }
}

async function* mapStream<A, B>(source: AsyncIterable<A>, f: (a: A) => B): AsyncGenerator<B> {
  for await (const a of source) yield f(a);
}

function asInstance(o: CimInstance | CimClass, op: string): CimInstance {
  if (o instanceof CimClass) throw new ResponseParseError(`expected instances, got class ${o.name}`, op);
  return o;
}

function isUnsupported(e: unknown): boolean {
  if (e instanceof CimError) return e.status === CimStatus.CIM_ERR_NOT_SUPPORTED;
  return e instanceof HttpStatusError && e.cimErrorHeader === 'unsupported-operation';
}

function pullState(r: IMethodResponse, op: string): { context: string | undefined; end: boolean } {
  let context: string | undefined;
  let end: boolean | undefined;
  for (const p of r.params) {
    const n = p.name.toLowerCase();
    const text = p.value?.kind === 'VALUE' ? p.value.text : undefined;
    if (n === 'enumerationcontext') context = text;
    else if (n === 'endofsequence') end = text !== undefined && text.trim().toLowerCase() === 'true';
  }
  if (end === undefined) throw new ResponseParseError('the pull response has no EndOfSequence', op);
  if (!end && !context) throw new ResponseParseError('the pull response has no EnumerationContext', op);
  return { context, end };
}

/** The one IRETURNVALUE item of a single-object answer, converted. */
function only<T>(items: ReturnItem[], name: string, namespace: string, host: string, convert: Convert<T>): T {
  if (items.length !== 1) throw new ResponseParseError(`expected one object in IRETURNVALUE, got ${items.length}`, name);
  return convert(items[0]!, name, { namespace, host });
}

function requireInstancePath(p: CimObjectPath, op: string): void {
  if (!p.keys) throw new InvalidArgumentError(`${op} needs an instance path with keys, got the class path ${p.className}`);
}

/** The path as sent inside a request: no host or namespace (the namespace travels separately). */
function localPath(p: CimObjectPath): CimObjectPath {
  const c = p.clone();
  c.host = undefined;
  c.namespace = undefined;
  return c;
}

function withoutPath(i: CimInstance): CimInstance {
  const copy = Object.create(Object.getPrototypeOf(i) as object) as CimInstance;
  Object.assign(copy, i);
  copy.path = undefined;
  return copy;
}
