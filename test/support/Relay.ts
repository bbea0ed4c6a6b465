// A TCP relay in front of a host agent that keeps every byte clients send through it (what a host
// was told, read off the wire: e.g. that a source host never received a destination's password),
// and with `holdAcceptMigration` holds back every request calling AcceptMigration (forwards
// nothing of it, answers nothing) until released: a migration's destination that hangs, so a
// migration job stays Running and a caller's wait runs into its deadline.
import type { Socket } from 'node:net';
import { TcpFront } from './TcpFront.js';

export class Relay extends TcpFront {
  /** What sends the held bytes on, one per held connection. */
  private readonly held = new Set<() => void>();
  private released: boolean;
  private heldCount = 0;
  private readonly received: Buffer[] = [];

  constructor(upstreamOrigin: string, options: { holdAcceptMigration?: boolean } = {}) {
    super(upstreamOrigin);
    this.released = !options.holdAcceptMigration;
  }

  /** Everything clients sent through the relay so far, as Latin-1 text (byte for byte). */
  get sent(): string {
    return Buffer.concat(this.received).toString('latin1');
  }

  /** Whether a request is being held now. */
  get holding(): boolean {
    return this.held.size > 0;
  }

  /** How many AcceptMigration requests were held in all. */
  get heldRequests(): number {
    return this.heldCount;
  }

  protected relay(client: Socket, upstream: Socket): void {
    const queue: Buffer[] = [];
    let holding = false;
    // The header may arrive split over two chunks: the end of the last one is kept to match.
    let tail = '';
    client.on('data', (chunk: Buffer) => {
      this.received.push(chunk);
      if (!holding && !this.released) {
        const text = tail + chunk.toString('latin1');
        tail = text.slice(-64);
        if (/CIMMethod:\s*AcceptMigration/i.test(text)) {
          holding = true;
          this.heldCount++;
          this.held.add(() => {
            for (const b of queue.splice(0)) upstream.write(b);
            holding = false;
          });
        }
      }
      if (holding) queue.push(chunk);
      else upstream.write(chunk);
    });
    client.on('end', () => upstream.end());
  }

  /** Sends what was held on, and holds nothing from now on. */
  release(): void {
    this.released = true;
    for (const send of this.held) send();
    this.held.clear();
  }
}
