// A TCP front of a host on loopback: every client connection gets its own connection to the host,
// whose bytes go back to the client as they come; what the client sends is the subclass's to
// pass on, hold back or answer itself (a host that hangs, or trickles its answer).
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export abstract class TcpFront {
  private server?: Server;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly upstream: string) {}

  /** One client connection: `host` is already piped to `client`. */
  protected abstract relay(client: Socket, host: Socket): void;

  /** `http://127.0.0.1:PORT`, the front's own address. */
  async start(): Promise<string> {
    const up = new URL(this.upstream);
    this.server = createServer((client) => {
      const host = connect(Number(up.port), up.hostname);
      for (const s of [client, host]) {
        this.sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => this.sockets.delete(s));
      }
      host.pipe(client);
      this.relay(client, host);
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
