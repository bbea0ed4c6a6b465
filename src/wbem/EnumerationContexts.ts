// Open pull enumerations (DSP0200 5.3.2.x Open*/Pull*/CloseEnumeration): each holds the
// iterator of its remaining results, the namespace and kind it was opened for, and a timer that
// closes it when the client stops pulling for longer than its OperationTimeout. Each belongs to
// the principal that opened it, who alone may pull or close it, and who may hold only a share of
// the table, so that one caller cannot lock everyone else out of pull enumerations.
import { randomBytes } from 'node:crypto';
import { CimError, CimStatus } from '../cim/CimError.js';
import type { ReturnItem } from '../xml/messages.js';

/** What a Pull must be for the context: instances with paths, paths, or bare instances (queries). */
export type EnumerationKind = 'instances' | 'paths' | 'query';

interface OpenEnumeration {
  id: string;
  kind: EnumerationKind;
  namespace: string;
  owner: string;
  iterator: AsyncIterator<ReturnItem>;
  timeoutMs: number;
  timer: NodeJS.Timeout | null;
  busy: boolean;
}

export interface PullBatch {
  items: ReturnItem[];
  /** The context to pull from next; null when the sequence ended. */
  context: string | null;
  endOfSequence: boolean;
}

export interface EnumerationLimits {
  /** OperationTimeout used when the client gives none, seconds. */
  defaultTimeout: number;
  /** Largest OperationTimeout accepted, seconds. */
  maxTimeout: number;
  /** Largest MaxObjectCount served per call. */
  maxObjectCount: number;
  /** Most enumerations open at once; more get CIM_ERR_SERVER_LIMITS_EXCEEDED. */
  maxOpen: number;
  /** Most enumerations one principal may hold open at once (anonymous callers count as one). */
  maxOpenPerUser: number;
}

export const DEFAULT_ENUMERATION_LIMITS: EnumerationLimits = {
  defaultTimeout: 60, maxTimeout: 600, maxObjectCount: 100_000, maxOpen: 1000, maxOpenPerUser: 100,
};

/** The owner key of a caller: its user name, or one shared key for every anonymous caller. */
export function enumerationOwner(user: string | null): string {
  // A NUL cannot occur in a user name, so no user can pose as the anonymous callers.
  return user ?? '\0anonymous';
}

function ownerName(owner: string): string {
  return owner === enumerationOwner(null) ? 'anonymous callers' : `user ${JSON.stringify(owner)}`;
}

export class EnumerationContexts {
  private readonly open = new Map<string, OpenEnumeration>();
  /** Open enumerations per owner; an owner with none has no entry. */
  private readonly perOwner = new Map<string, number>();

  constructor(readonly limits: EnumerationLimits = DEFAULT_ENUMERATION_LIMITS) {}

  get size(): number {
    return this.open.size;
  }

  /** How many enumerations `owner` (see enumerationOwner) holds open. */
  openBy(owner: string): number {
    return this.perOwner.get(owner) ?? 0;
  }

  /** Checks OperationTimeout (seconds; null = default, 0 = the longest allowed). */
  timeoutMs(seconds: number | null): number {
    if (seconds === null) return this.limits.defaultTimeout * 1000;
    if (seconds === 0) return this.limits.maxTimeout * 1000;
    if (seconds > this.limits.maxTimeout) {
      throw new CimError(CimStatus.CIM_ERR_INVALID_OPERATION_TIMEOUT, `OperationTimeout ${seconds}s exceeds the server's ${this.limits.maxTimeout}s`);
    }
    return seconds * 1000;
  }

  private checkCount(maxObjectCount: number | null, required: boolean): number {
    if (maxObjectCount === null) {
      if (required) throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, 'MaxObjectCount is required');
      return 0;
    }
    if (maxObjectCount > this.limits.maxObjectCount) {
      throw new CimError(CimStatus.CIM_ERR_SERVER_LIMITS_EXCEEDED, `MaxObjectCount ${maxObjectCount} exceeds ${this.limits.maxObjectCount}`);
    }
    return maxObjectCount;
  }

  /** Starts an enumeration over `source` for `owner` (see enumerationOwner) and returns its first batch. */
  async openEnumeration(owner: string, kind: EnumerationKind, namespace: string, source: AsyncIterable<ReturnItem>, timeoutSeconds: number | null, maxObjectCount: number | null): Promise<PullBatch> {
    const timeoutMs = this.timeoutMs(timeoutSeconds);
    const max = this.checkCount(maxObjectCount, false);
    if (this.openBy(owner) >= this.limits.maxOpenPerUser) {
      throw new CimError(CimStatus.CIM_ERR_SERVER_LIMITS_EXCEEDED, `too many open enumerations for ${ownerName(owner)}: the limit is ${this.limits.maxOpenPerUser} per user; close some with CloseEnumeration or let them time out`);
    }
    if (this.open.size >= this.limits.maxOpen) throw new CimError(CimStatus.CIM_ERR_SERVER_LIMITS_EXCEEDED, `too many open enumerations: the server's limit is ${this.limits.maxOpen}`);
    const e: OpenEnumeration = {
      id: randomBytes(12).toString('hex'), kind, namespace, owner, iterator: source[Symbol.asyncIterator](), timeoutMs, timer: null, busy: true,
    };
    this.open.set(e.id, e);
    this.perOwner.set(owner, this.openBy(owner) + 1);
    return this.take(e, max);
  }

  /** The next batch of an open enumeration of `owner`. */
  async pull(owner: string, id: string, kind: EnumerationKind, namespace: string, maxObjectCount: number | null): Promise<PullBatch> {
    const e = this.lookup(owner, id, namespace);
    if (e.kind !== kind) {
      throw new CimError(CimStatus.CIM_ERR_INVALID_ENUMERATION_CONTEXT, `enumeration context is for ${e.kind}, not ${kind}`);
    }
    if (e.busy) throw new CimError(CimStatus.CIM_ERR_PULL_CANNOT_BE_ABANDONED, 'another operation on this enumeration context is in progress');
    const max = this.checkCount(maxObjectCount, true);
    e.busy = true;
    if (e.timer) clearTimeout(e.timer);
    return this.take(e, max);
  }

  /** CloseEnumeration: ends the enumeration and releases its results. */
  async close(owner: string, id: string, namespace: string): Promise<void> {
    const e = this.lookup(owner, id, namespace);
    this.discard(e);
  }

  /** Closes every open enumeration (server shutdown). */
  closeAll(): void {
    for (const e of [...this.open.values()]) this.discard(e);
  }

  /** Another principal's context is answered as one that does not exist: its id says nothing to them. */
  private lookup(owner: string, id: string, namespace: string): OpenEnumeration {
    const e = this.open.get(id);
    if (!e || e.owner !== owner || e.namespace.toLowerCase() !== namespace.toLowerCase()) {
      throw new CimError(CimStatus.CIM_ERR_INVALID_ENUMERATION_CONTEXT, 'no such enumeration context (closed, timed out or never opened)');
    }
    return e;
  }

  private discard(e: OpenEnumeration): void {
    if (e.timer) clearTimeout(e.timer);
    // Discarding twice (a timeout racing an error) must not free the owner's share twice.
    if (!this.open.delete(e.id)) return;
    const left = this.openBy(e.owner) - 1;
    if (left > 0) this.perOwner.set(e.owner, left);
    else this.perOwner.delete(e.owner);
    void Promise.resolve().then(() => e.iterator.return?.()).catch(() => undefined);
  }

  private async take(e: OpenEnumeration, max: number): Promise<PullBatch> {
    const out: ReturnItem[] = [];
    try {
      while (out.length < max) {
        const r = await e.iterator.next();
        if (r.done) {
          this.discard(e);
          return { items: out, context: null, endOfSequence: true };
        }
        out.push(r.value);
      }
    } catch (err) {
      this.discard(e);
      throw err;
    }
    e.busy = false;
    e.timer = setTimeout(() => this.discard(e), e.timeoutMs);
    e.timer.unref();
    return { items: out, context: e.id, endOfSequence: false };
  }
}
