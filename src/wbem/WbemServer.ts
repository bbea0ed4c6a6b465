// The WBEM server: owns the repository, the provider registry, the HTTP(S) listeners and the
// indication hook. Everything a host agent exposes over CIM-XML goes through one of these.
import type { Server } from 'node:http';
import type { CimRepository } from '../cim/CimRepository.js';
import type { CimInstance } from '../cim/CimInstance.js';
import type { Db } from '../store/Store.js';
import type { IndicationSink, Provider } from './Provider.js';
import type { UserDirectory } from './UserDirectory.js';
import { ProviderRegistry } from './ProviderRegistry.js';

export interface WbemServerOptions {
  repository: CimRepository;
  /** Durable store for created instances; an in-memory database when omitted. */
  store?: Db;
  /** Users and roles; without them the server serves everyone as admin on loopback only. */
  users?: UserDirectory | null;
  /** This host's name: SystemName of CIM_ObjectManager and of the interop instances. */
  name?: string;
  /** Largest request body accepted, in bytes (default 16 MiB); larger ones get 413. */
  maxRequestBytes?: number;
  /** Default and largest pull OperationTimeout, seconds (defaults 60 and 600). */
  defaultOperationTimeout?: number;
  maxOperationTimeout?: number;
}

export interface ListenOptions {
  /** HTTP port; 0 picks a free one. Omit to serve HTTPS only. */
  port?: number;
  /** Address to bind (default 127.0.0.1). Anything but loopback needs a users file. */
  host?: string;
  /** HTTPS port; needs cert and key. */
  httpsPort?: number;
  /** PEM text or a file path. */
  cert?: string;
  key?: string;
}

export interface ListeningAddresses {
  http?: string;
  https?: string;
}

export class WbemServer {
  readonly repository: CimRepository;
  readonly store: Db | undefined;
  readonly name: string;
  readonly providers = new ProviderRegistry();
  /** The indication pipeline, or null until attachIndications(). */
  indications: IndicationSink | null = null;
  protected readonly options: WbemServerOptions;
  protected readonly servers: Server[] = [];

  constructor(options: WbemServerOptions) {
    this.options = options;
    this.repository = options.repository;
    this.store = options.store;
    this.name = options.name ?? 'localhost';
  }

  /** Serves `className` (not its subclasses, unless registered for them too) in `namespace`. */
  registerProvider(namespace: string, className: string, provider: Provider): void {
    this.providers.register(namespace, className, provider);
  }

  /** Plugs in the indication pipeline: every emitted indication goes to `sink` from now on. */
  attachIndications(sink: IndicationSink): void {
    this.indications = sink;
  }

  /** Sends an indication into the pipeline (dropped while none is attached). */
  emitIndication(namespace: string, indication: CimInstance): void {
    this.indications?.emit(namespace, indication);
  }

  async listen(_options: ListenOptions): Promise<ListeningAddresses> {
    throw new Error('not yet implemented');
  }

  async close(): Promise<void> {
    await this.indications?.close();
  }
}
