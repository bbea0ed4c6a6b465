// A TCP relay in front of a host agent that holds back every request calling AcceptMigration
// (forwards nothing of it, answers nothing) until released: a migration's destination that hangs,
// so a migration job stays Running and a caller's wait runs into its deadline.
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export class HoldingRelay {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  /** What sends the held bytes on, one per held connection. */
  private readonly held = new Set<() => void>();
  private released = false;
  private heldCount = 0;
  port = 0;

  constructor(private readonly upstreamOrigin: string) {}

  /** `http://127.0.0.1:PORT`, the relay's own address. */
  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Whether a request is being held now. */
  get holding(): boolean {
    return this.held.size > 0;
  }

  /** How many AcceptMigration requests were held in all. */
  get heldRequests(): number {
    return this.heldCount;
  }

  async start(): Promise<this> {
    const up = new URL(this.upstreamOrigin);
    this.server = createServer((client) => {
      const upstream = connect(Number(up.port), up.hostname);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => this.sockets.delete(s));
      }
      upstream.pipe(client);
      const queue: Buffer[] = [];
      let holding = false;
      // The header may arrive split over two chunks: the end of the last one is kept to match.
      let tail = '';
      client.on('data', (chunk: Buffer) => {
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
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** Sends what was held on, and holds nothing from now on. */
  release(): void {
    this.released = true;
    for (const send of this.held) send();
    this.held.clear();
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    if (this.server) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}
