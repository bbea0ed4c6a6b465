// Which provider serves which class in which namespace. Lookups are case-insensitive in both the
// namespace and the class name, as CIM names are.
import { NameMap } from '../cim/NameMap.js';
import { CimError, CimStatus } from '../cim/CimError.js';
import type { Provider } from './Provider.js';
import { namespaceKey } from './namespaceName.js';

export class ProviderRegistry {
  private readonly byNamespace = new Map<string, NameMap<Provider>>();

  register(namespace: string, className: string, provider: Provider): void {
    const key = namespaceKey(namespace);
    let m = this.byNamespace.get(key);
    if (!m) this.byNamespace.set(key, (m = new NameMap()));
    if (m.has(className)) {
      throw new CimError(CimStatus.CIM_ERR_ALREADY_EXISTS, `a provider for ${className} in ${namespace} is already registered`);
    }
    m.set(className, provider);
  }

  /** The provider registered for exactly this class, if any. */
  get(namespace: string, className: string): Provider | undefined {
    return this.byNamespace.get(namespaceKey(namespace))?.get(className);
  }

  /** The class names with a provider in `namespace`. */
  classNames(namespace: string): string[] {
    return this.byNamespace.get(namespaceKey(namespace))?.names() ?? [];
  }

  /** Every distinct provider, for shutdown. */
  all(): Provider[] {
    const seen = new Set<Provider>();
    for (const m of this.byNamespace.values()) for (const p of m.values()) seen.add(p);
    return [...seen];
  }
}
