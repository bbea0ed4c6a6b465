// The per-request context every operation and provider call sees: target namespace, caller,
// cancellation, and the way back into the server (providers, repository, indications).
import type { CimInstance } from '../cim/CimInstance.js';
import type { ProviderContext, Role } from './Provider.js';
import type { AccessGrant } from './AccessGrant.js';
import type { OneTimeCredentials } from './OneTimeCredentials.js';
import type { ServerCore } from './ServerCore.js';

/** Where a request's AbortSignal comes from; created only when someone asks for it. */
export interface SignalSource {
  readonly signal: AbortSignal;
}

export class OperationContext implements ProviderContext {
  constructor(
    readonly core: ServerCore,
    readonly namespace: string,
    readonly user: string | null,
    readonly role: Role,
    private readonly signals: SignalSource,
    readonly grant: AccessGrant | null = null,
  ) {}

  /** The server's, not the request's: read from the core rather than carried by every call. */
  get oneTimeCredentials(): OneTimeCredentials | null {
    return this.core.oneTimeCredentials;
  }

  get signal(): AbortSignal {
    return this.signals.signal;
  }

  emitIndication(namespace: string, indication: CimInstance): void {
    try {
      this.core.emitIndication(namespace, indication);
    } catch {
      // A provider's state change must not fail because delivery failed; the sink logs its own errors.
    }
  }

  /** The same caller in another namespace (association traversal across namespaces). */
  inNamespace(namespace: string): OperationContext {
    return namespace === this.namespace ? this : new OperationContext(this.core, namespace, this.user, this.role, this.signals, this.grant);
  }
}
