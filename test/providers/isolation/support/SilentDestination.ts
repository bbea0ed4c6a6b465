// A relay in front of a host agent that passes everything through except AcceptMigration, which
// never gets an answer: with `forward` the destination still receives it (it admits the VM and
// the source never hears so), with `drop` it never does (the destination never admits it). What a
// source sees when the network or the destination fails at the worst moment. With `reset`, the
// source is not left waiting for its timeout: its connection is reset once the destination has
// answered ('forward') or once the request was kept from it ('drop'), as a dropped link would.
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export type SilentMode = 'forward' | 'drop';

export class SilentDestination {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  /** Bytes of AcceptMigration answers kept from the source so far ('forward'). */
  swallowed = 0;
  /** AcceptMigration requests kept from the destination so far ('drop'). */
  dropped = 0;
  port = 0;

  constructor(
    private readonly upstreamOrigin: string,
    private readonly mode: SilentMode = 'forward',
    private readonly opts: { reset?: boolean } = {},
  ) {}

  /** `http://127.0.0.1:PORT`, the relay's own address. */
  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Listens on `port` (0: any free one), e.g. the port an earlier relay had, to come back there. */
  async start(port = 0): Promise<this> {
    const up = new URL(this.upstreamOrigin);
    this.server = createServer((client) => {
      const upstream = connect(Number(up.port), up.hostname);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => this.sockets.delete(s));
      }
      // HTTP/1.1 answers in order: once AcceptMigration was sent, what comes back is its answer.
      let silent = false;
      let tail = '';
      upstream.on('data', (d: Buffer) => {
        if (silent) {
          this.swallowed += d.length;
          if (this.opts.reset) client.resetAndDestroy();
        } else client.write(d);
      });
      client.on('data', (chunk: Buffer) => {
        const text = tail + chunk.toString('latin1');
        tail = text.slice(-64);
        if (!silent && /CIMMethod:\s*AcceptMigration/i.test(text)) {
          silent = true;
          if (this.mode === 'drop') this.dropped++;
        }
        if (!(silent && this.mode === 'drop')) upstream.write(chunk);
        else if (this.opts.reset) client.resetAndDestroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', resolve);
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    if (this.server) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}
