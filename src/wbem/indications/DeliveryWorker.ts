// Delivers one listener destination's queue: the oldest queued indication first, one request in
// flight, removal only after the listener accepted it, retries with exponential backoff. The
// queue lives in SQLite, so a worker started after a crash resumes at the same row with the same
// body (same SequenceContext and SequenceNumber), which is what lets the listener drop duplicates.
import { request } from 'undici';
import type { Dispatcher } from 'undici';
import type { Db } from '../../store/Store.js';
import type { ExportCodec } from './exportMessage.js';

export interface DeliveryPolicy {
  /** Retries after the first attempt before an indication is given up (DeliveryRetryAttempts). */
  retryAttempts(): number;
  /** Wait before the first retry, in ms (DeliveryRetryInterval); doubles per retry up to maxRetryIntervalMs. */
  retryIntervalMs(): number;
  maxRetryIntervalMs(): number;
  /**
   * The most one attempt may take, from sending the request to the last byte of the answer; past
   * it the attempt fails and is retried like any other failure.
   */
  requestTimeoutMs: number;
}

export interface DeliveryEvents {
  delivered(destinationId: number, seqContext: string, seqNumber: bigint): void;
  /** The indication was dropped after its last retry; `subscriptionId` null when it is gone. */
  abandoned(destinationId: number, subscriptionId: number | null, reason: Error): void;
  /** `firstInStreak`: the first failure since the last success (or start), worth one warning. */
  failed(destinationId: number, attempt: number, reason: Error, firstInStreak: boolean): void;
}

interface QueueRow {
  id: number;
  subscription_id: number | null;
  body: string;
  seq_context: string;
  seq_number: string;
  attempts: number;
  created_at: string;
}

/** Delivered rows deleted per transaction while the queue is busy; an idle queue is cleared at once. */
const DELETE_BATCH = 64;

/** An EXPMETHODRESPONSE is a few hundred bytes; a listener sending more is not one to trust. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

async function readCapped(body: AsyncIterable<Buffer | Uint8Array> & { destroy(err?: Error): unknown }, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of body) {
    size += c.length;
    if (size > max) {
      const err = new DeliveryError(`listener answer is larger than ${max} bytes`);
      body.destroy(err);
      throw err;
    }
    chunks.push(Buffer.from(c));
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A delivery failure with the HTTP status when there was one. */
export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  constructor(message: string, readonly statusCode?: number) {
    super(message);
  }
}

export class DeliveryWorker {
  private running: Promise<void> | null = null;
  /** True from an indication given up until the next successful delivery. */
  private givenUp = false;
  /** True from a failed attempt until the next successful delivery. */
  private failing = false;
  /** Set when work arrived while the loop was running. */
  private again = false;
  private closed = false;
  private wake: (() => void) | null = null;
  private readonly abort = new AbortController();
  private readonly next;
  private readonly bumpAttempts;
  private readonly remove;
  private readonly removeUpTo;
  /**
   * Delivered rows are deleted in batches (each delete is an fsync): up to here everything was
   * accepted by the listener. Rows a crash leaves behind are sent again with their original
   * sequence identifiers, which is what at-least-once with listener-side dedup allows.
   */
  private deliveredUpTo = 0;
  private undeleted = 0;

  constructor(
    db: Db,
    readonly destinationId: number,
    private readonly url: string,
    private readonly codec: ExportCodec,
    private readonly policy: DeliveryPolicy,
    private readonly events: DeliveryEvents,
    private readonly dispatcher?: Dispatcher,
  ) {
    this.next = db.prepare(`SELECT id, subscription_id, body, seq_context, seq_number, attempts, created_at FROM ind_queue
      WHERE destination_id = ? AND id > ? ORDER BY id LIMIT 1`);
    this.bumpAttempts = db.prepare('UPDATE ind_queue SET attempts = attempts + 1 WHERE id = ?');
    this.remove = db.prepare('DELETE FROM ind_queue WHERE id = ?');
    this.removeUpTo = db.prepare('DELETE FROM ind_queue WHERE destination_id = ? AND id <= ?');
  }

  /** Starts delivering if idle. A busy or backing-off worker takes new rows in queue order. */
  kick(): void {
    if (this.closed) return;
    if (this.running) {
      // The loop may already have found the queue empty and be about to end: look once more then.
      this.again = true;
      return;
    }
    this.again = false;
    this.running = this.loop().finally(() => {
      this.running = null;
      if (this.again) this.kick();
    });
  }

  /** Retries now instead of after the remaining backoff (used when a listener comes back). */
  retryNow(): void {
    this.wake?.();
    this.kick();
  }

  /** Stops after the request in flight is aborted; the row stays queued for the next start. */
  async close(): Promise<void> {
    this.closed = true;
    this.abort.abort();
    this.wake?.();
    await this.running;
    this.flush();
  }

  /** The highest queue row id the listener accepted (rows up to it may await deletion). */
  get acknowledgedUpTo(): number {
    return this.deliveredUpTo;
  }

  /** Deletes the rows delivered since the last flush. */
  private flush(): void {
    if (this.undeleted === 0) return;
    try {
      this.removeUpTo.run(this.destinationId, this.deliveredUpTo);
      this.undeleted = 0;
    } catch {
      // The store is gone (closing, or the destination was deleted): the rows go with it or are
      // re-sent after a restart, and the listener drops them as duplicates.
    }
  }

  private async loop(): Promise<void> {
    while (!this.closed) {
      const row = this.next.get(this.destinationId, this.deliveredUpTo) as QueueRow | undefined;
      if (!row) {
        this.flush();
        return;
      }
      let failure: Error | null = null;
      try {
        await this.send(row.body);
      } catch (e) {
        failure = e as Error;
      }
      if (this.closed) return;
      if (!failure) {
        this.deliveredUpTo = row.id;
        if (++this.undeleted >= DELETE_BATCH) this.flush();
        this.givenUp = false;
        this.failing = false;
        this.events.delivered(this.destinationId, row.seq_context, BigInt(row.seq_number));
        continue;
      }
      const attempt = row.attempts + 1;
      this.events.failed(this.destinationId, attempt, failure, !this.failing);
      this.failing = true;
      // Once an indication was given up, the listener is known to be unreachable: the ones queued
      // behind it that already waited out a whole retry schedule get one attempt, not a schedule
      // of their own, or a dead listener would hold each of them for the full schedule in turn.
      const waited = Date.now() - Date.parse(row.created_at);
      if (attempt > this.policy.retryAttempts() || (this.givenUp && waited > this.retryWindowMs())) {
        this.givenUp = true;
        this.remove.run(row.id);
        this.events.abandoned(this.destinationId, row.subscription_id, failure);
        continue;
      }
      this.bumpAttempts.run(row.id);
      const delay = Math.min(this.policy.retryIntervalMs() * 2 ** (attempt - 1), this.policy.maxRetryIntervalMs());
      await this.sleep(delay);
    }
  }

  /** How long the full retry schedule of one indication lasts. */
  private retryWindowMs(): number {
    let total = 0;
    for (let k = 1; k <= this.policy.retryAttempts(); k++) {
      total += Math.min(this.policy.retryIntervalMs() * 2 ** (k - 1), this.policy.maxRetryIntervalMs());
    }
    return total;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }

  private async send(body: string): Promise<void> {
    const target = new URL(this.url);
    const headers: Record<string, string> = {
      'content-type': 'application/xml; charset=utf-8',
      accept: 'application/xml, text/xml',
      cimprotocolversion: '1.0',
      cimexport: 'MethodRequest',
      cimexportmethod: 'ExportIndication',
    };
    if (target.username || target.password) {
      const user = decodeURIComponent(target.username);
      const pass = decodeURIComponent(target.password);
      headers.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
      target.username = '';
      target.password = '';
    }
    const timeout = this.policy.requestTimeoutMs;
    // undici's headersTimeout and bodyTimeout bound only the wait for the head and the gaps
    // between body chunks: a listener sending its answer a byte at a time would hold the queue
    // for as long as it liked. One deadline covers the whole attempt.
    const attempt = new AbortController();
    const stop = (): void => attempt.abort(this.abort.signal.reason);
    this.abort.signal.addEventListener('abort', stop, { once: true });
    const deadline = setTimeout(() => attempt.abort(new DeliveryError(`listener did not answer in full within ${timeout} ms`)), timeout);
    try {
      const res = await request(target, {
        method: 'POST',
        headers,
        body,
        signal: attempt.signal,
        // The deadline bounds both; undici's own would only race it with vaguer errors.
        headersTimeout: 0,
        bodyTimeout: 0,
        ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}),
      });
      const text = await readCapped(res.body, MAX_RESPONSE_BYTES);
      if (res.statusCode !== 200) {
        const cimError = res.headers.cimerror;
        throw new DeliveryError(`listener answered HTTP ${res.statusCode}${cimError ? ` (CIMError: ${String(cimError)})` : ''}`, res.statusCode);
      }
      const err = this.codec.checkResponse(text);
      if (err) throw new DeliveryError(`listener refused the indication: ${err.message}`, res.statusCode);
    } catch (e) {
      // The deadline's reason says what happened; undici may report the abort in its own words.
      if (attempt.signal.aborted && !this.abort.signal.aborted && attempt.signal.reason instanceof DeliveryError) throw attempt.signal.reason;
      throw e;
    } finally {
      clearTimeout(deadline);
      this.abort.signal.removeEventListener('abort', stop);
    }
  }
}
