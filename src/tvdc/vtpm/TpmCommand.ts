// The TPM 2.0 command and response frames (Part 1, section 18): header, handle area,
// authorization area and parameters. Commands are built here; their parameters elsewhere.
import { TpmReader, TpmWriter, TpmFormatError } from './TpmBuffer.js';
import { TPM_RH, TPM_ST } from './TpmConstants.js';

/** One TPMS_AUTH_COMMAND. */
export interface AuthSession {
  handle: number;
  nonce?: Buffer;
  attributes?: number;
  hmac?: Buffer;
}

/** The password session with an empty password: how tvdc authorizes its own hierarchies and keys. */
export function passwordAuth(password: Buffer = Buffer.alloc(0)): AuthSession {
  return { handle: TPM_RH.PW, attributes: 0x01, hmac: password };
}

export interface CommandSpec {
  cc: number;
  handles?: number[];
  sessions?: AuthSession[];
  params?: Buffer;
}

export function buildCommand(spec: CommandSpec): Buffer {
  const w = new TpmWriter();
  for (const h of spec.handles ?? []) w.u32(h);
  const sessions = spec.sessions ?? [];
  if (sessions.length) {
    const a = new TpmWriter();
    for (const s of sessions) {
      a.u32(s.handle).sized(s.nonce ?? Buffer.alloc(0)).u8(s.attributes ?? 0).sized(s.hmac ?? Buffer.alloc(0));
    }
    w.u32(a.length).bytes(a.toBuffer());
  }
  if (spec.params) w.bytes(spec.params);
  return frameCommand(sessions.length ? TPM_ST.SESSIONS : TPM_ST.NO_SESSIONS, spec.cc, w.toBuffer());
}

/** The 10-byte header TPM 2.0 kept from TPM 1.2: tag, size of the whole frame, command code (1.2: ordinal). */
export function frameCommand(tag: number, code: number, body: Buffer): Buffer {
  return new TpmWriter().u16(tag).u32(10 + body.length).u32(code).bytes(body).toBuffer();
}

/** Reads the response header both families share (tag, size, response code); the size must be the frame's. */
export function readResponseHeader(r: TpmReader, frameLength: number): { tag: number; rc: number } {
  const tag = r.u16();
  const size = r.u32();
  const rc = r.u32();
  if (size !== frameLength) throw new TpmFormatError(`${r.what} says ${size} bytes but carries ${frameLength}`);
  return { tag, rc };
}

export interface Response {
  tag: number;
  rc: number;
  handles: number[];
  /** Reader over the response parameters only (authorization area excluded). */
  params: TpmReader;
}

/** Splits a response frame; `handleCount` is how many handles the command returns on success. */
export function parseResponse(buf: Buffer, handleCount = 0): Response {
  const r = new TpmReader(buf, 'TPM response');
  const { tag, rc } = readResponseHeader(r, buf.length);
  if (rc !== 0) return { tag, rc, handles: [], params: new TpmReader(Buffer.alloc(0)) };
  const handles: number[] = [];
  for (let i = 0; i < handleCount; i++) handles.push(r.u32());
  let params: Buffer;
  if (tag === TPM_ST.SESSIONS) params = r.bytes(r.u32());
  else params = r.rest();
  return { tag, rc, handles, params: new TpmReader(params, 'TPM response parameters') };
}
