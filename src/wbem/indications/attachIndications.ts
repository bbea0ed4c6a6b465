// One call that gives a WbemServer DSP1054 indications: the service on the server's store, the
// interop providers registered, the service linked to its host and capabilities, and plugged in
// as the server's indication sink.
import { openStore } from '../../store/Store.js';
import type { Db } from '../../store/Store.js';
import type { CimObjectPath } from '../../cim/CimObjectPath.js';
import type { Provider, IndicationSink } from '../Provider.js';
import { IndicationService, type IndicationServiceOptions } from './IndicationService.js';
import { registerIndicationProviders } from './indicationProviders.js';

/** The interop namespace's links (WbemServer.interop): DSP1054 navigation to the service. */
export interface InteropLinks {
  addHostedService(service: CimObjectPath): void;
  addElementCapabilities(element: CimObjectPath, capabilities: CimObjectPath): void;
  /** The hosting system's class: the service's SystemCreationClassName. */
  readonly systemCreationClassName: string;
}

/** The parts of WbemServer this needs (kept structural so either side can evolve). */
export interface IndicationHost {
  readonly name: string;
  readonly store: Db | undefined;
  readonly repository: unknown;
  /** When present, CIM_HostedService and CIM_ElementCapabilities lead clients to the service. */
  readonly interop?: InteropLinks;
  registerProvider(namespace: string, className: string, provider: Provider): void;
  attachIndications(sink: IndicationSink): void;
}

interface HierarchySource {
  isSubclassOf(namespace: string, sub: string, sup: string): boolean;
  hasNamespace(namespace: string): boolean;
  hasClass(namespace: string, className: string): boolean;
}

function hasHierarchy(r: unknown): r is HierarchySource {
  return typeof r === 'object' && r !== null && typeof (r as HierarchySource).isSubclassOf === 'function'
    && typeof (r as HierarchySource).hasNamespace === 'function' && typeof (r as HierarchySource).hasClass === 'function';
}

export function attachIndications(server: IndicationHost, options: Partial<IndicationServiceOptions> = {}): IndicationService {
  const repo = server.repository;
  const service = new IndicationService({
    db: options.db ?? server.store ?? openStore(':memory:'),
    systemName: options.systemName ?? server.name,
    ...(server.interop ? { systemCreationClassName: server.interop.systemCreationClassName } : {}),
    ...(hasHierarchy(repo) ? {
      isa: (ns: string, c: string, s: string) => repo.hasClass(ns, c) && repo.hasClass(ns, s) && repo.isSubclassOf(ns, c, s),
      classExists: (ns: string, c: string) => (repo.hasNamespace(ns) ? repo.hasClass(ns, c) : undefined),
      namespaceExists: (ns: string) => repo.hasNamespace(ns),
    } : {}),
    ...options,
  });
  registerIndicationProviders(server, service);
  // DSP1054: the service is hosted by the host system and has its capabilities; clients walk
  // both links from the central instance the Indications profile names.
  server.interop?.addHostedService(service.servicePath());
  server.interop?.addElementCapabilities(service.servicePath(), service.capabilitiesPath());
  server.attachIndications(service);
  return service;
}
