// A TCP front of a host on loopback: every client connection gets its own connection to the host,
// whose bytes go back to the client as they come (unless the subclass overrides passBack); what the
// client sends is the subclass's to pass on, hold back or answer itself (a host that hangs, or
// trickles its answer).
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export abstract class TcpFront {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  /** The front's own port, once started. */
  port = 0;

  constructor(private readonly upstream: string) {}

  /** One client connection: what the client sends is the subclass's to pass to `host`. */
  protected abstract relay(client: Socket, host: Socket): void;

  /** What the host sends goes to the client as it comes; a front that keeps answers back overrides this. */
  protected passBack(client: Socket, host: Socket): void {
    host.pipe(client);
  }

  /** `http://127.0.0.1:PORT`, the front's own address. */
  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Listens on `port` (0: any free one), e.g. the port an earlier front had, to come back there. */
  async start(port = 0): Promise<this> {
    const up = new URL(this.upstream);
    this.server = createServer((client) => {
      const host = connect(Number(up.port), up.hostname);
      for (const s of [client, host]) {
        this.sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => this.sockets.delete(s));
      }
      this.passBack(client, host);
      this.relay(client, host);
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
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
