// Carries TPM command frames to swtpm over its TCP or Unix socket and reads whole responses.
// One persistent connection per TPM; commands are serialized because a TPM runs one at a time.
import { connect, type Socket } from 'node:net';
import { TvdcError } from '../TvdcError.js';

export interface TpmTransport {
  send(command: Buffer): Promise<Buffer>;
  close(): void;
}

export type SocketAddress = { path: string } | { host?: string; port: number };

const MAX_RESPONSE = 1 << 20;

export class SocketTransport implements TpmTransport {
  private socket: Socket | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    readonly address: SocketAddress,
    private readonly timeoutMs = 30_000,
  ) {}

  /** Opens the connection now (swtpm --terminate ties its life to this connection). */
  async connect(): Promise<void> {
    await this.open();
  }

  private async open(): Promise<Socket> {
    if (this.socket && !this.socket.destroyed) return this.socket;
    const opts = 'path' in this.address ? { path: this.address.path } : { host: this.address.host ?? '127.0.0.1', port: this.address.port };
    const s = await new Promise<Socket>((resolve, reject) => {
      const sock = connect(opts);
      sock.once('connect', () => {
        sock.removeAllListeners('error');
        resolve(sock);
      });
      sock.once('error', (e) => reject(new TvdcError('VTPM_FAILED', `cannot connect to TPM at ${describe(this.address)}: ${e.message}`)));
    });
    s.setNoDelay(true);
    s.unref(); // an idle TPM connection must not keep the owner's process alive
    s.on('error', () => {}); // failures surface through the pending exchange
    this.socket = s;
    return s;
  }

  send(command: Buffer): Promise<Buffer> {
    if (this.closed) return Promise.reject(new TvdcError('VTPM_FAILED', 'TPM connection is closed'));
    const run = this.chain.then(() => this.exchange(command));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async exchange(command: Buffer): Promise<Buffer> {
    const s = await this.open();
    return new Promise<Buffer>((resolve, reject) => {
      let chunks: Buffer[] = [];
      let got = 0;
      const done = (err?: Error, res?: Buffer) => {
        clearTimeout(timer);
        s.off('data', onData);
        s.off('close', onClose);
        s.off('error', onError);
        if (err) {
          s.destroy();
          reject(err);
        } else resolve(res!);
      };
      const onData = (d: Buffer) => {
        chunks.push(d);
        got += d.length;
        if (got < 10) return;
        const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
        chunks = [all];
        const size = all.readUInt32BE(2);
        if (size < 10 || size > MAX_RESPONSE) return done(new TvdcError('VTPM_FAILED', `TPM sent a response of impossible size ${size}`));
        if (got > size) return done(new TvdcError('VTPM_FAILED', 'TPM sent more bytes than its response size'));
        if (got === size) done(undefined, all);
      };
      const onClose = () => done(new TvdcError('VTPM_FAILED', `TPM at ${describe(this.address)} closed the connection`));
      const onError = (e: Error) => done(new TvdcError('VTPM_FAILED', `TPM connection failed: ${e.message}`));
      const timer = setTimeout(() => done(new TvdcError('VTPM_FAILED', `TPM did not answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      s.on('data', onData);
      s.once('close', onClose);
      s.once('error', onError);
      s.write(command);
    });
  }

  close(): void {
    this.closed = true;
    this.socket?.destroy();
    this.socket = undefined;
  }
}

export function describe(a: SocketAddress): string {
  return 'path' in a ? a.path : `${a.host ?? '127.0.0.1'}:${a.port}`;
}
