// The CIM face of the indication service: instance providers for the DSP1054 classes, served in
// the interop namespace (`interop` is the same namespace to the server). Each provider answers
// exactly its own class, as the server's registry expects.
import type { CimInstance } from '../../cim/CimInstance.js';
import type { CimObjectPath } from '../../cim/CimObjectPath.js';
import { CimError, CimStatus } from '../../cim/CimError.js';
import type { Provider, ProviderContext } from '../Provider.js';
import type { IndicationService } from './IndicationService.js';
import { setProp } from './instanceValues.js';
import {
  CAPABILITIES_CLASS, DESTINATION_CLASS, FILTER_CLASS, HANDLER_CLASS, SERVICE_CLASS, SUBSCRIPTION_CLASS,
} from './indicationClasses.js';

/** What registering needs from the server: WbemServer satisfies it. */
export interface ProviderHost {
  registerProvider(namespace: string, className: string, provider: Provider): void;
}

function samePath(a: CimObjectPath, b: CimObjectPath): boolean {
  if (a.className.toLowerCase() !== b.className.toLowerCase() || !a.keys || !b.keys) return false;
  for (const [name, binding] of b.keys) {
    if (String(a.key(name)) !== String(binding.value)) return false;
  }
  return true;
}

function readOnly(what: string): CimError {
  return new CimError(CimStatus.CIM_ERR_NOT_SUPPORTED, `${what} cannot be created, modified or deleted`);
}

export function filterProvider(service: IndicationService): Provider {
  return {
    enumerateInstances: () => service.enumerateFilters(),
    getInstance: (_ctx, path) => service.getFilter(path),
    createInstance: (ctx, inst) => service.createFilter(ctx.namespace, inst),
    modifyInstance: () => {
      // DSP1054 makes filters immutable: a changed query is a new filter.
      throw new CimError(CimStatus.CIM_ERR_NOT_SUPPORTED, 'indication filters cannot be modified; create a new one');
    },
    deleteInstance: (_ctx, path) => service.deleteFilter(path),
  };
}

/**
 * A listener's URL may carry its only secret in its path: the management server gives each host
 * its own unguessable path, so that deliveries need no password, and anyone who knows the path can
 * deliver forged indications there. A user who may only read sees where indications go, not that
 * path; those who may write (the management server's own login among them) see it whole.
 */
function asSeenBy(ctx: ProviderContext, inst: CimInstance): CimInstance {
  const url = inst.get('Destination');
  if (ctx.role !== 'read' || typeof url !== 'string') return inst;
  let shown: string;
  try {
    shown = `${new URL(url).origin}/***`;
  } catch {
    shown = '***';
  }
  const copy = inst.clone();
  setProp(copy, 'Destination', 'string', shown);
  return copy;
}

export function destinationProvider(service: IndicationService, className: string): Provider {
  return {
    enumerateInstances: (ctx) => service.enumerateDestinations(className).map((inst) => asSeenBy(ctx, inst)),
    getInstance: (ctx, path) => asSeenBy(ctx, service.getDestination(path)),
    createInstance: (ctx, inst) => service.createDestination(ctx.namespace, inst),
    modifyInstance: () => {
      throw new CimError(CimStatus.CIM_ERR_NOT_SUPPORTED, 'listener destinations cannot be modified; create a new one');
    },
    deleteInstance: (_ctx, path) => service.deleteDestination(path),
  };
}

export function subscriptionProvider(service: IndicationService): Provider {
  return {
    enumerateInstances: () => service.enumerateSubscriptions(),
    getInstance: (_ctx, path) => service.getSubscription(path),
    createInstance: (ctx, inst) => service.createSubscription(ctx.namespace, inst),
    modifyInstance: (_ctx, inst, propertyList) => service.modifySubscription(inst, propertyList),
    deleteInstance: (_ctx, path) => service.deleteSubscription(path),
    // Subscriptions are associations: Associators/References from a filter or destination.
    references: (_ctx, source, filter) => {
      const role = filter.role?.toLowerCase();
      return service.enumerateSubscriptions().filter((s) => {
        const byFilter = (role === undefined || role === 'filter') && samePath(s.get('Filter') as CimObjectPath, source);
        const byHandler = (role === undefined || role === 'handler') && samePath(s.get('Handler') as CimObjectPath, source);
        return byFilter || byHandler;
      });
    },
  };
}

export function serviceProvider(service: IndicationService): Provider {
  const one = (path: CimObjectPath): CimInstance => {
    const inst = service.serviceInstance();
    if (!samePath(inst.path!, path)) throw new CimError(CimStatus.CIM_ERR_NOT_FOUND, `no indication service ${path.toString()}`);
    return inst;
  };
  return {
    enumerateInstances: () => [service.serviceInstance()],
    getInstance: (_ctx, path) => one(path),
    modifyInstance: (_ctx, inst, propertyList) => {
      if (inst.path) one(inst.path);
      service.modifyService(inst, propertyList);
    },
    createInstance: () => {
      throw readOnly('the indication service');
    },
    deleteInstance: () => {
      throw readOnly('the indication service');
    },
  };
}

export function capabilitiesProvider(service: IndicationService): Provider {
  return {
    enumerateInstances: () => [service.capabilitiesInstance()],
    getInstance: (_ctx, path) => {
      const inst = service.capabilitiesInstance();
      if (!samePath(inst.path!, path)) throw new CimError(CimStatus.CIM_ERR_NOT_FOUND, `no capabilities ${path.toString()}`);
      return inst;
    },
  };
}

/** Registers the indication classes' providers in each namespace (default the interop namespace). */
export function registerIndicationProviders(host: ProviderHost, service: IndicationService, namespaces: readonly string[] = [service.interopNamespace]): void {
  for (const ns of namespaces) {
    host.registerProvider(ns, FILTER_CLASS, filterProvider(service));
    host.registerProvider(ns, DESTINATION_CLASS, destinationProvider(service, DESTINATION_CLASS));
    host.registerProvider(ns, HANDLER_CLASS, destinationProvider(service, HANDLER_CLASS));
    host.registerProvider(ns, SUBSCRIPTION_CLASS, subscriptionProvider(service));
    host.registerProvider(ns, SERVICE_CLASS, serviceProvider(service));
    host.registerProvider(ns, CAPABILITIES_CLASS, capabilitiesProvider(service));
  }
}
