// EnumerateInstances answered from the repository's stored instances themselves, when every class
// it covers is served by the repository provider. The general path makes a view of each stored
// instance, stamps the view's path and checks it against the response flags, only to send what is
// stored unchanged in the usual case; here such an instance goes to the encoder as it is stored,
// and the encoder only reads it. An instance that would not show as stored (qualifiers not asked
// for, a PropertyList, a subclass's own properties under DeepInheritance=false) still goes out as
// a trimmed view, as on the general path. Nothing but the encoder gets the stored instances: their
// property maps are the store's own (CimRepository.storedInstances), so they never reach a
// provider or a filter that trims in place.
import type { CimInstance } from '../cim/CimInstance.js';
import { instanceView } from '../cim/storedInstances.js';
import type { ReturnItem } from '../xml/messages.js';
import type { OperationContext } from './OperationContext.js';
import { filterInstance, showsAsIs, type InstanceFilter } from './objectFilters.js';
import { RepositoryProvider } from './RepositoryProvider.js';

/**
 * Items per batch. The reply's first batch is encoded before the reply starts (an operation that
 * fails up front still gets its ERROR), so it stays small for the first bytes to leave early.
 */
const BATCH = 256;

/**
 * The repository provider of each of `classes`, in order; null when another provider serves any
 * of them (the enumeration then takes the general path) or when CLASSORIGIN is asked for (stored
 * properties have none: views put it back).
 */
export function storedSources(ctx: OperationContext, classes: readonly string[], filter: InstanceFilter): RepositoryProvider[] | null {
  if (filter.includeClassOrigin) return null;
  const out: RepositoryProvider[] = [];
  for (const cls of classes) {
    const p = ctx.core.providerFor(ctx.namespace, cls);
    if (!(p instanceof RepositoryProvider)) return null;
    out.push(p);
  }
  return out;
}

/** VALUE.NAMEDINSTANCE items for the instances of `classes` (the requested class first), in batches. */
export async function* storedNamedInstances(
  ctx: OperationContext, classes: readonly string[], sources: readonly RepositoryProvider[], filter: InstanceFilter,
): AsyncIterable<ReturnItem[]> {
  for (let c = 0; c < classes.length; c++) {
    const stored = sources[c]!.storedInstances(ctx, classes[c]!);
    // The requested class's own instances have only its properties: DeepInheritance=false drops
    // nothing from them.
    const f = c === 0 && filter.onlyPropertiesOf ? { ...filter, onlyPropertiesOf: null } : filter;
    for (let i = 0; i < stored.length; i += BATCH) {
      const end = Math.min(stored.length, i + BATCH);
      const batch: ReturnItem[] = [];
      for (let j = i; j < end; j++) batch.push({ kind: 'VALUE.NAMEDINSTANCE', instance: asSent(stored[j]!, f) });
      yield batch;
    }
  }
}

function asSent(stored: CimInstance, f: InstanceFilter): CimInstance {
  return showsAsIs(stored, f) ? stored : filterInstance(instanceView(stored), f, true);
}
