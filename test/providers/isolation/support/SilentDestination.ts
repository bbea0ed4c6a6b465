// A relay in front of a host agent that passes everything through except the answer to
// AcceptMigration: the destination admits the VM, and the source never hears so. What a source
// sees when the network or it fails at the worst moment.
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export class SilentDestination {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  /** Bytes of AcceptMigration answers kept from the source so far. */
  swallowed = 0;
  port = 0;

  constructor(private readonly upstreamOrigin: string) {}

  async start(): Promise<this> {
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
        if (silent) this.swallowed += d.length;
        else client.write(d);
      });
      client.on('data', (chunk: Buffer) => {
        const text = tail + chunk.toString('latin1');
        tail = text.slice(-64);
        if (/CIMMethod:\s*AcceptMigration/i.test(text)) silent = true;
        upstream.write(chunk);
      });
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
