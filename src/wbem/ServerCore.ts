// What operations need from the server, as one narrow interface: the repository, the provider
// for a class, the indication hook, this host's name and the open pull enumerations.
import type { CimRepository } from '../cim/CimRepository.js';
import type { CimInstance } from '../cim/CimInstance.js';
import type { Provider } from './Provider.js';
import type { EnumerationContexts } from './EnumerationContexts.js';
import type { OneTimeCredentials } from './OneTimeCredentials.js';

export interface ServerCore {
  readonly repository: CimRepository;
  /** This host's name, put into INSTANCEPATH / VALUE.OBJECTWITHPATH host fields. */
  readonly name: string;
  readonly enumerations: EnumerationContexts;
  /** Where providers issue one-time credentials (the users' book); null without a users file. */
  readonly oneTimeCredentials: OneTimeCredentials | null;
  /** The provider serving instances of exactly `className` (a registered one or the repository provider). */
  providerFor(namespace: string, className: string): Provider;
  emitIndication(namespace: string, indication: CimInstance): void;
}
