// A TCP relay in front of a host agent that keeps every byte clients send through it: what a
// host was told, read off the wire (e.g. that a source host never received a destination's
// password). It forwards everything unchanged, both ways.
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export class RecordingRelay {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private readonly received: Buffer[] = [];
  port = 0;

  constructor(private readonly upstreamOrigin: string) {}

  /** `http://127.0.0.1:PORT`, the relay's own address. */
  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Everything clients sent through the relay so far, as Latin-1 text (byte for byte). */
  get sent(): string {
    return Buffer.concat(this.received).toString('latin1');
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
      client.on('data', (chunk: Buffer) => {
        this.received.push(chunk);
        upstream.write(chunk);
      });
      client.on('end', () => upstream.end());
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    if (this.server) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}
