// A read-only provider over a list the domain computes on each call: enumeration, and GetInstance
// by search (the server's default). Small classes (the host, policies, labels) need nothing more.
import type { CimInstance } from '../../src/cim/CimInstance.js';
import type { Provider } from '../../src/wbem/Provider.js';
import { toCimError } from './TvdcErrorMap.js';

export function listProvider(list: () => CimInstance[]): Provider {
  return {
    enumerateInstances: () => {
      try {
        return list();
      } catch (e) {
        throw toCimError(e);
      }
    },
  };
}
