// A relay in front of a host agent that passes everything through except AcceptMigration, which
// never gets an answer: with `forward` the destination still receives it (it admits the VM and
// the source never hears so), with `drop` it never does (the destination never admits it). What a
// source sees when the network or the destination fails at the worst moment. With `reset`, the
// source is not left waiting for its timeout: its connection is reset once the destination has
// answered ('forward') or once the request was kept from it ('drop'), as a dropped link would.
import type { Socket } from 'node:net';
import { TcpFront } from '../../../support/TcpFront.js';

export type SilentMode = 'forward' | 'drop';

export class SilentDestination extends TcpFront {
  /** Bytes of AcceptMigration answers kept from the source so far ('forward'). */
  swallowed = 0;
  /** AcceptMigration requests kept from the destination so far ('drop'). */
  dropped = 0;

  constructor(
    upstreamOrigin: string,
    private readonly mode: SilentMode = 'forward',
    private readonly opts: { reset?: boolean } = {},
  ) {
    super(upstreamOrigin);
  }

  /** relay passes the host's answers back itself, all but AcceptMigration's. */
  protected override passBack(): void {}

  protected relay(client: Socket, upstream: Socket): void {
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
  }
}
