// A TPM 1.2 client: one method per command tvdc uses, over the same TpmTransport as the TPM 2.0
// client. Authorized commands run in OIAP or OSAP sessions whose responses are HMAC-checked.
import { constants, createHash, publicEncrypt, randomBytes, timingSafeEqual } from 'node:crypto';
import { TvdcError } from '../TvdcError.js';
import { TpmFormatError, TpmReader, TpmWriter } from './TpmBuffer.js';
import { buildTpm12Command, parseTpm12Response, type Tpm12AuthArea, type Tpm12Response } from './Tpm12Command.js';
import {
  TPM12_ET, TPM12_KH, TPM12_NUM_PCR, TPM12_NV_INDEX, TPM12_ORD, TPM12_PCR_SELECT_SIZE, TPM12_PHYSICAL_PRESENCE, TPM12_PID_OWNER,
  TPM12_RC_DOING_SELFTEST, TPM12_RC_RETRY, TPM12_RT, TPM12_ST, tpm12ResultName,
} from './Tpm12Constants.js';
import { ekParms, marshalKey, readKey, readPubKey, srkTemplate, tpm12PublicKey, writeKeyParms, type Tpm12Key, type Tpm12PubKey } from './Tpm12Key.js';
import { Tpm12Session } from './Tpm12Session.js';
import type { TpmTransport } from './TpmTransport.js';

const ORD_NAME: Record<number, string> = Object.fromEntries(Object.entries(TPM12_ORD).map(([k, v]) => [v, k.startsWith('TSC_') ? k : `TPM_${k}`]));

/** A TPM 1.2 command came back with a non-success TPM_RESULT. */
export class Tpm12Error extends TvdcError {
  readonly rcName: string;
  constructor(
    readonly command: string,
    readonly rc: number,
  ) {
    super('VTPM_FAILED', `${command} failed: ${tpm12ResultName(rc)} [0x${rc.toString(16)}]`);
    this.rcName = tpm12ResultName(rc);
  }
}

/** One session's part in a command: the session, whether it stays open, the entity's auth (OIAP). */
export interface SessionUse {
  session: Tpm12Session;
  continueSession?: boolean;
  entityAuth?: Buffer;
  nonceOdd?: Buffer;
}

export interface Tpm12Quote {
  /** TPM_PCR_COMPOSITE of the quoted PCRs, as the TPM returned it. */
  pcrComposite: Buffer;
  /** The signed TPM_QUOTE_INFO (version 1.1.0.0, "QUOT", SHA-1 of the composite, externalData). */
  quoteInfo: Buffer;
  signature: Buffer;
  /** PCR index -> value, from the composite. */
  pcrs: Map<number, Buffer>;
}

/** TPM_TAG_NV_DATA_PUBLIC and TPM_TAG_NV_ATTRIBUTES (Part 2, 3.1). */
const TPM12_TAG_NV_DATA_PUBLIC = 0x0018;
const TPM12_TAG_NV_ATTRIBUTES = 0x0017;
/** TPM_LOCALITY_SELECTION of all five localities: an NV area no locality is kept from. */
const TPM12_LOC_ALL = 0x1f;
/** NV bytes per TPM_NV_WriteValue / TPM_NV_ReadValue, well inside a TPM 1.2's command buffer. */
const NV_CHUNK = 512;

/**
 * TPM_NV_DATA_PUBLIC for an area bound to no PCR and no locality (both TPM_PCR_INFO_SHORTs select
 * nothing, all localities), with `permission` and neither read nor write locks.
 */
function writeNvDataPublic(w: TpmWriter, index: number, permission: number, size: number): TpmWriter {
  const noPcrs = (x: TpmWriter) => x.u16(TPM12_PCR_SELECT_SIZE).bytes(Buffer.alloc(TPM12_PCR_SELECT_SIZE)).u8(TPM12_LOC_ALL).bytes(Buffer.alloc(20));
  w.u16(TPM12_TAG_NV_DATA_PUBLIC).u32(index);
  return noPcrs(noPcrs(w)).u16(TPM12_TAG_NV_ATTRIBUTES).u32(permission).u8(0).u8(0).u8(0).u32(size);
}

/** The well-known secret (20 zero bytes) TCG software uses for an SRK any local user may load under. */
export const WELL_KNOWN_SECRET = Buffer.alloc(20);

/** TPM_PCR_SELECTION: sizeOfSelect, then one bit per PCR (the quote, its composite and TPM_QUOTE_INFO2 use it). */
export function writeTpm12PcrSelection(w: TpmWriter, pcrs: Iterable<number>): TpmWriter {
  const bitmap = Buffer.alloc(TPM12_PCR_SELECT_SIZE);
  for (const p of pcrs) {
    if (!Number.isInteger(p) || p < 0 || p >= TPM12_NUM_PCR) throw new TvdcError('INVALID_ARGUMENT', `TPM 1.2 PCR ${p} does not exist (0-${TPM12_NUM_PCR - 1})`);
    bitmap[p >> 3]! |= 1 << (p & 7);
  }
  return w.u16(bitmap.length).bytes(bitmap);
}

/** The PCR indexes of a TPM_PCR_SELECTION, ascending. */
export function readTpm12PcrSelection(r: TpmReader): number[] {
  const bitmap = r.bytes(r.u16());
  const out: number[] = [];
  for (let b = 0; b < bitmap.length * 8; b++) if (bitmap[b >> 3]! & (1 << (b & 7))) out.push(b);
  return out;
}

/** Splits a TPM_PCR_COMPOSITE into PCR index -> value. */
export function parsePcrComposite(buf: Buffer): Map<number, Buffer> {
  const r = new TpmReader(buf, 'TPM_PCR_COMPOSITE');
  const pcrs = readTpm12PcrSelection(r);
  const values = r.bytes(r.u32());
  r.end();
  if (values.length < pcrs.length * 20) throw new TpmFormatError('TPM_PCR_COMPOSITE holds fewer values than its selection');
  if (values.length > pcrs.length * 20) throw new TpmFormatError('TPM_PCR_COMPOSITE holds more values than its selection');
  return new Map(pcrs.map((p, k) => [p, Buffer.from(values.subarray(k * 20, (k + 1) * 20))]));
}

export class Tpm12 {
  retries = 20;

  constructor(readonly transport: TpmTransport) {}

  /**
   * Sends one command. Each session use adds an authorization area over the parameters; the
   * response's areas are checked against them before any output is believed.
   */
  async execute(ordinal: number, opts: { handles?: number[]; params?: Buffer; sessions?: SessionUse[]; outHandles?: number } = {}): Promise<Tpm12Response> {
    const params = opts.params ?? Buffer.alloc(0);
    const name = ORD_NAME[ordinal] ?? `ordinal 0x${ordinal.toString(16)}`;
    for (let attempt = 0; ; attempt++) {
      const sent: { area: Tpm12AuthArea; key: Buffer; use: SessionUse }[] = (opts.sessions ?? []).map((use) => ({
        ...use.session.authorize(ordinal, params, use.continueSession ?? false, use.entityAuth, use.nonceOdd),
        use,
      }));
      const res = parseTpm12Response(await this.transport.send(buildTpm12Command(ordinal, opts.handles ?? [], params, sent.map((s) => s.area))), opts.outHandles ?? 0);
      if ((res.rc === TPM12_RC_RETRY || res.rc === TPM12_RC_DOING_SELFTEST) && attempt < this.retries && sent.length === 0) {
        await new Promise((r) => setTimeout(r, Math.min(5 * 2 ** attempt, 200)));
        continue;
      }
      if (res.rc !== 0) {
        // A failed command ends its sessions (Part 1, 13.2.1); flush them in case the TPM kept any.
        for (const s of sent) {
          s.use.session.open = false;
          await this.flushSpecific(s.use.session.handle, TPM12_RT.AUTH).catch(() => undefined);
        }
        throw new Tpm12Error(name, res.rc);
      }
      if (res.auths.length !== sent.length) throw new TpmFormatError(`${name} answered with ${res.auths.length} authorization areas for ${sent.length} sessions`);
      sent.forEach((s, i) => s.use.session.verifyResponse(res.rc, ordinal, res.params, s.area, s.key, res.auths[i]!));
      return res;
    }
  }

  async startup(type: 'clear' | 'state' = 'clear'): Promise<void> {
    await this.execute(TPM12_ORD.Startup, { params: new TpmWriter().u16(type === 'clear' ? TPM12_ST.CLEAR : TPM12_ST.STATE).toBuffer() });
  }

  /** TPM_SaveState: the TPM 1.2 counterpart of an orderly TPM2_Shutdown(STATE). */
  async saveState(): Promise<void> {
    await this.execute(TPM12_ORD.SaveState);
  }

  /** TSC_PhysicalPresence: the platform asserts (or enables the command for) physical presence. */
  async physicalPresence(bits: number): Promise<void> {
    await this.execute(TPM12_ORD.TSC_PhysicalPresence, { params: new TpmWriter().u16(bits).toBuffer() });
  }

  /**
   * What a platform BIOS does for a new TPM 1.2: asserts physical presence, enables the TPM and
   * clears its deactivated flag. The flag takes effect at the next TPM_Startup.
   */
  async enableAndActivate(): Promise<void> {
    await this.physicalPresence(TPM12_PHYSICAL_PRESENCE.CMD_ENABLE);
    await this.physicalPresence(TPM12_PHYSICAL_PRESENCE.PRESENT);
    await this.execute(TPM12_ORD.PhysicalEnable);
    await this.execute(TPM12_ORD.PhysicalSetDeactivated, { params: Buffer.from([0]) });
    await this.physicalPresence(TPM12_PHYSICAL_PRESENCE.NOTPRESENT);
  }

  /** Checks the checksum SHA-1(TPM_PUBKEY || antiReplay) that proves the EK answer is fresh. */
  private readEkAnswer(params: Buffer, antiReplay: Buffer, command: string): Tpm12PubKey {
    const r = new TpmReader(params, `${command} response`);
    const start = r.offset;
    const ek = readPubKey(r);
    const pub = params.subarray(start, r.offset);
    const checksum = r.bytes(20);
    r.end();
    if (!timingSafeEqual(createHash('sha1').update(pub).update(antiReplay).digest(), checksum)) {
      throw new TvdcError('VTPM_FAILED', `${command}: the checksum does not cover the EK and our nonce`);
    }
    return ek;
  }

  /** TPM_CreateEndorsementKeyPair: a new TPM's RSA 2048 EK, made once in its life. */
  async createEndorsementKeyPair(): Promise<Tpm12PubKey> {
    const antiReplay = randomBytes(20);
    const params = writeKeyParms(new TpmWriter().bytes(antiReplay), ekParms()).toBuffer();
    const res = await this.execute(TPM12_ORD.CreateEndorsementKeyPair, { params });
    return this.readEkAnswer(res.params, antiReplay, 'TPM_CreateEndorsementKeyPair');
  }

  /** TPM_ReadPubek: the EK's public part, readable until an owner is installed. */
  async readPubek(): Promise<Tpm12PubKey> {
    const antiReplay = randomBytes(20);
    const res = await this.execute(TPM12_ORD.ReadPubek, { params: antiReplay });
    return this.readEkAnswer(res.params, antiReplay, 'TPM_ReadPubek');
  }

  async oiap(): Promise<Tpm12Session> {
    const res = await this.execute(TPM12_ORD.OIAP);
    const r = new TpmReader(res.params, 'TPM_OIAP response');
    const handle = r.u32();
    const nonceEven = Buffer.from(r.bytes(20));
    r.end();
    return new Tpm12Session('oiap', handle, nonceEven);
  }

  /** An OSAP session bound to one entity; its shared secret comes from that entity's auth. */
  async osap(entityType: number, entityValue: number, entityAuth: Buffer): Promise<Tpm12Session> {
    const nonceOddOsap = randomBytes(20);
    const res = await this.execute(TPM12_ORD.OSAP, { params: new TpmWriter().u16(entityType).u32(entityValue).bytes(nonceOddOsap).toBuffer() });
    const r = new TpmReader(res.params, 'TPM_OSAP response');
    const handle = r.u32();
    const nonceEven = Buffer.from(r.bytes(20));
    const nonceEvenOsap = r.bytes(20);
    r.end();
    return new Tpm12Session('osap', handle, nonceEven, Tpm12Session.osapSecret(entityAuth, nonceEvenOsap, nonceOddOsap));
  }

  /**
   * TPM_TakeOwnership: installs the owner and creates the SRK. Both authorizations travel
   * encrypted to the EK (RSAES-OAEP, SHA-1, label "TCPA"); the command is authorized by the
   * new owner auth itself under OIAP. Returns the SRK's public part.
   */
  async takeOwnership(ek: Tpm12PubKey, ownerAuth: Buffer, srkAuth: Buffer): Promise<Tpm12Key> {
    const key = tpm12PublicKey(ek);
    const enc = (v: Buffer) => publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1', oaepLabel: Buffer.from('TCPA', 'latin1') }, v);
    const encOwner = enc(ownerAuth);
    const encSrk = enc(srkAuth);
    const params = new TpmWriter().u16(TPM12_PID_OWNER).u32(encOwner.length).bytes(encOwner).u32(encSrk.length).bytes(encSrk).bytes(marshalKey(srkTemplate())).toBuffer();
    const session = await this.oiap();
    const res = await this.execute(TPM12_ORD.TakeOwnership, { params, sessions: [{ session, entityAuth: ownerAuth }] });
    return readKey(new TpmReader(res.params, 'TPM_TakeOwnership response'));
  }

  /** TPM_OwnerReadInternalPub: the public part of the EK or SRK, for the owner. */
  async ownerReadInternalPub(keyHandle: number, ownerAuth: Buffer): Promise<Tpm12PubKey> {
    const session = await this.oiap();
    const res = await this.execute(TPM12_ORD.OwnerReadInternalPub, { params: new TpmWriter().u32(keyHandle).toBuffer(), sessions: [{ session, entityAuth: ownerAuth }] });
    const r = new TpmReader(res.params, 'TPM_OwnerReadInternalPub response');
    const k = readPubKey(r);
    r.end();
    return k;
  }

  /**
   * TPM_CreateWrapKey under `parentHandle` in an OSAP session with the parent: the new key's
   * usage and migration auths travel XORed with the session's shared secret (ADIP).
   */
  async createWrapKey(parentHandle: number, parentAuth: Buffer, template: Tpm12Key, usageAuth: Buffer, migrationAuth: Buffer = randomBytes(20)): Promise<Tpm12Key> {
    const entity = parentHandle === TPM12_KH.SRK ? TPM12_ET.SRK : TPM12_ET.KEYHANDLE;
    const session = await this.osap(entity, parentHandle, parentAuth);
    const nonceOdd = randomBytes(20);
    const params = new TpmWriter().bytes(session.encryptAuth(usageAuth)).bytes(session.encryptAuth(migrationAuth, nonceOdd)).bytes(marshalKey(template)).toBuffer();
    const res = await this.execute(TPM12_ORD.CreateWrapKey, { handles: [parentHandle], params, sessions: [{ session, nonceOdd }] });
    const r = new TpmReader(res.params, 'TPM_CreateWrapKey response');
    const key = readKey(r);
    r.end();
    return key;
  }

  /** TPM_LoadKey2: loads a wrapped key under its parent; returns the key's handle. */
  async loadKey2(parentHandle: number, key: Tpm12Key, use: SessionUse): Promise<number> {
    const res = await this.execute(TPM12_ORD.LoadKey2, { handles: [parentHandle], params: marshalKey(key), sessions: [use], outHandles: 1 });
    return res.handles[0]!;
  }

  /** TPM_GetPubKey: the TPM_PUBKEY of a loaded key (its parms and modulus), as the TPM holds it. */
  async getPubKey(keyHandle: number, use: SessionUse): Promise<Tpm12PubKey> {
    const res = await this.execute(TPM12_ORD.GetPubKey, { handles: [keyHandle], sessions: [use] });
    const r = new TpmReader(res.params, 'TPM_GetPubKey response');
    const k = readPubKey(r);
    r.end();
    return k;
  }

  async flushSpecific(handle: number, resourceType: number): Promise<void> {
    await this.execute(TPM12_ORD.FlushSpecific, { params: new TpmWriter().u32(handle).u32(resourceType).toBuffer() });
  }

  /**
   * TPM_NV_DefineSpace, owner-authorized in an OSAP session (the area's auth travels
   * XOR-encrypted): an NV area of `size` bytes at `index` readable and writable as `permission`
   * says, no PCR bound, all localities.
   */
  async nvDefineSpace(ownerAuth: Buffer, index: number, size: number, permission: number, areaAuth: Buffer = randomBytes(20)): Promise<void> {
    const w = writeNvDataPublic(new TpmWriter(), index, permission, size);
    const session = await this.osap(TPM12_ET.OWNER, TPM12_KH.OWNER, ownerAuth);
    await this.execute(TPM12_ORD.NV_DefineSpace, { params: w.bytes(session.encryptAuth(areaAuth)).toBuffer(), sessions: [{ session }] });
  }

  /**
   * Defines TPM_NV_INDEX_LOCK without authorization, which is how Part 3 (NV_DefineSpace, action
   * 1) has nvLocked set: from then on every NV area's permission is enforced. It cannot be undone.
   */
  async nvLock(): Promise<void> {
    const w = writeNvDataPublic(new TpmWriter(), TPM12_NV_INDEX.LOCK, 0, 0);
    await this.execute(TPM12_ORD.NV_DefineSpace, { params: w.bytes(Buffer.alloc(20)).toBuffer() });
  }

  /** TPM_NV_WriteValue under the owner's authorization (OIAP), in pieces a TPM's input buffer takes. */
  async nvWriteValue(ownerAuth: Buffer, index: number, data: Buffer): Promise<void> {
    for (let offset = 0; ; offset += NV_CHUNK) {
      const piece = data.subarray(offset, offset + NV_CHUNK);
      const session = await this.oiap();
      await this.execute(TPM12_ORD.NV_WriteValue, { params: new TpmWriter().u32(index).u32(offset).u32(piece.length).bytes(piece).toBuffer(), sessions: [{ session, entityAuth: ownerAuth }] });
      if (offset + NV_CHUNK >= data.length) break;
    }
  }

  /** TPM_NV_ReadValue of an area that needs no authorization to read. */
  async nvReadValue(index: number, offset: number, size: number): Promise<Buffer> {
    const out: Buffer[] = [];
    for (let done = 0; done < size; ) {
      const n = Math.min(NV_CHUNK, size - done);
      const res = await this.execute(TPM12_ORD.NV_ReadValue, { params: new TpmWriter().u32(index).u32(offset + done).u32(n).toBuffer() });
      const r = new TpmReader(res.params, 'TPM_NV_ReadValue response');
      const data = Buffer.from(r.bytes(r.u32()));
      r.end();
      if (data.length !== n) throw new TpmFormatError(`TPM_NV_ReadValue answered ${data.length} bytes for ${n}`);
      out.push(data);
      done += n;
    }
    return Buffer.concat(out);
  }

  /** TPM_Extend: PCR := SHA-1(PCR || digest); returns the new value. */
  async extend(pcr: number, digest: Buffer): Promise<Buffer> {
    if (digest.length !== 20) throw new TvdcError('INVALID_ARGUMENT', `a TPM 1.2 PCR is extended with a 20-byte SHA-1 digest, not ${digest.length} bytes`);
    const res = await this.execute(TPM12_ORD.Extend, { params: new TpmWriter().u32(pcr).bytes(digest).toBuffer() });
    if (res.params.length !== 20) throw new TpmFormatError('TPM_Extend answered no 20-byte digest');
    return res.params;
  }

  async pcrRead(pcr: number): Promise<Buffer> {
    const res = await this.execute(TPM12_ORD.PcrRead, { params: new TpmWriter().u32(pcr).toBuffer() });
    if (res.params.length !== 20) throw new TpmFormatError('TPM_PcrRead answered no 20-byte digest');
    return res.params;
  }

  /**
   * TPM_Sign with a loaded signing key. A key of scheme TPM_SS_RSASSAPKCS1v15_SHA1 signs
   * `areaToSign` as a 20-byte SHA-1 digest; one of scheme TPM_SS_RSASSAPKCS1v15_INFO signs
   * SHA-1(TPM_SIGN_INFO: tag, "SIGN", the session's nonceOdd, areaToSign), which is never a
   * TPM_QUOTE_INFO, so quotes cannot be forged with it.
   */
  async sign(keyHandle: number, areaToSign: Buffer, use: SessionUse): Promise<Buffer> {
    const params = new TpmWriter().u32(areaToSign.length).bytes(areaToSign).toBuffer();
    const res = await this.execute(TPM12_ORD.Sign, { handles: [keyHandle], params, sessions: [use] });
    const r = new TpmReader(res.params, 'TPM_Sign response');
    const sig = Buffer.from(r.bytes(r.u32()));
    r.end();
    return sig;
  }

  /**
   * TPM_Quote: signs TPM_QUOTE_INFO over the selected PCRs with `externalData` (20 bytes, the
   * challenger's nonce) under the loaded key's authorization.
   */
  async quote(keyHandle: number, externalData: Buffer, pcrs: readonly number[], use: SessionUse): Promise<Tpm12Quote> {
    if (externalData.length !== 20) throw new TvdcError('INVALID_ARGUMENT', 'TPM_Quote takes a 20-byte nonce');
    const params = writeTpm12PcrSelection(new TpmWriter().bytes(externalData), pcrs).toBuffer();
    const res = await this.execute(TPM12_ORD.Quote, { handles: [keyHandle], params, sessions: [use] });
    const r = new TpmReader(res.params, 'TPM_Quote response');
    const start = r.offset;
    r.bytes(r.u16());
    r.bytes(r.u32());
    const pcrComposite = Buffer.from(res.params.subarray(start, r.offset));
    const signature = Buffer.from(r.bytes(r.u32()));
    r.end();
    const quoteInfo = Buffer.concat([Buffer.from([1, 1, 0, 0]), Buffer.from('QUOT', 'latin1'), createHash('sha1').update(pcrComposite).digest(), externalData]);
    return { pcrComposite, quoteInfo, signature, pcrs: parsePcrComposite(pcrComposite) };
  }
}
