// swtpm's control channel (commands CMD_*, big-endian, one connection per command): TPM
// initialization, shutdown, stop, and the state blobs that move a vTPM between hosts.
import { connect } from 'node:net';
import { TvdcError } from '../TvdcError.js';
import { describe, type SocketAddress } from './TpmTransport.js';

export const CMD = {
  INIT: 2,
  SHUTDOWN: 3,
  STORE_VOLATILE: 10,
  GET_STATEBLOB: 12,
  SET_STATEBLOB: 13,
  STOP: 14,
} as const;

export const BLOB = { PERMANENT: 1, VOLATILE: 2, SAVESTATE: 3 } as const;
export type BlobType = (typeof BLOB)[keyof typeof BLOB];

/** CMD_INIT flag: throw away a stored volatile state instead of resuming it. */
export const INIT_DELETE_VOLATILE = 1;

export class SwtpmControl {
  constructor(
    readonly address: SocketAddress,
    private readonly timeoutMs = 30_000,
  ) {}

  /**
   * Sends one control command and collects the reply. `expect` tells from the bytes so far how
   * long the whole reply is (undefined while that is not yet known).
   */
  private request(cmd: number, body: Buffer, expect: (got: Buffer) => number | undefined): Promise<Buffer> {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(cmd);
    const opts = 'path' in this.address ? { path: this.address.path } : { host: this.address.host ?? '127.0.0.1', port: this.address.port };
    return new Promise<Buffer>((resolve, reject) => {
      const s = connect(opts);
      let buf = Buffer.alloc(0);
      let settled = false;
      const finish = (err?: Error, res?: Buffer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        s.destroy();
        if (err) reject(err);
        else resolve(res!);
      };
      const timer = setTimeout(() => finish(new TvdcError('VTPM_FAILED', `swtpm control command ${cmd} timed out`)), this.timeoutMs);
      s.once('connect', () => s.write(Buffer.concat([head, body])));
      s.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        const want = expect(buf);
        if (want !== undefined && buf.length >= want) finish(undefined, buf.subarray(0, want));
      });
      s.on('error', (e) => finish(new TvdcError('VTPM_FAILED', `swtpm control channel ${describe(this.address)}: ${e.message}`)));
      s.on('close', () => finish(new TvdcError('VTPM_FAILED', `swtpm control channel closed before answering command ${cmd}`)));
    });
  }

  private async simple(cmd: number, body = Buffer.alloc(0)): Promise<void> {
    const res = await this.request(cmd, body, () => 4);
    const rc = res.readUInt32BE(0);
    if (rc !== 0) throw new TvdcError('VTPM_FAILED', `swtpm control command ${cmd} failed with TPM result 0x${rc.toString(16)}`);
  }

  /** CMD_INIT: (re)initializes the TPM, resuming a volatile state if one was set or stored. */
  init(flags = 0): Promise<void> {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(flags);
    return this.simple(CMD.INIT, b);
  }

  /** CMD_SHUTDOWN: swtpm writes its state and the process exits. */
  shutdown(): Promise<void> {
    return this.simple(CMD.SHUTDOWN);
  }

  /** CMD_STOP: halts the TPM (needed before state blobs are read or set); INIT restarts it. */
  stop(): Promise<void> {
    return this.simple(CMD.STOP);
  }

  storeVolatile(): Promise<void> {
    return this.simple(CMD.STORE_VOLATILE);
  }

  /** Reads one whole state blob (unencrypted; tvdc does not configure state encryption keys). */
  async getStateBlob(type: BlobType): Promise<Buffer> {
    const body = Buffer.alloc(12);
    body.writeUInt32BE(0, 0); // state_flags
    body.writeUInt32BE(type, 4);
    body.writeUInt32BE(0, 8); // offset
    const res = await this.request(CMD.GET_STATEBLOB, body, (got) => {
      if (got.length < 4) return undefined;
      if (got.readUInt32BE(0) !== 0) return 4;
      return got.length < 16 ? undefined : 16 + got.readUInt32BE(8);
    });
    const rc = res.readUInt32BE(0);
    if (rc !== 0) throw new TvdcError('VTPM_FAILED', `swtpm refused to hand out state blob ${type}: TPM result 0x${rc.toString(16)}`);
    return Buffer.from(res.subarray(16));
  }

  async setStateBlob(type: BlobType, data: Buffer): Promise<void> {
    const body = Buffer.alloc(12);
    body.writeUInt32BE(0, 0);
    body.writeUInt32BE(type, 4);
    body.writeUInt32BE(data.length, 8);
    await this.simple(CMD.SET_STATEBLOB, Buffer.concat([body, data]));
  }
}
