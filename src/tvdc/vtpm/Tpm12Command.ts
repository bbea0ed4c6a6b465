// The TPM 1.2 command and response frames (Part 1, 11; Part 3): tag, size, ordinal or result
// (the header TpmCommand frames for both families), handles, parameters, and one authorization
// area per session (AUTH1, AUTH2).
import { TpmFormatError, TpmReader, TpmWriter } from './TpmBuffer.js';
import { frameCommand, readResponseHeader } from './TpmCommand.js';
import { TPM12_TAG } from './Tpm12Constants.js';

/** One request authorization area: authHandle, nonceOdd, continueAuthSession, authValue. */
export interface Tpm12AuthArea {
  handle: number;
  nonceOdd: Buffer;
  continueSession: boolean;
  auth: Buffer;
}

/** One response authorization area: nonceEven, continueAuthSession, resAuth. */
export interface Tpm12ResponseAuth {
  nonceEven: Buffer;
  continueSession: boolean;
  resAuth: Buffer;
}

const AUTH_RESPONSE_SIZE = 20 + 1 + 20;

export function buildTpm12Command(ordinal: number, handles: readonly number[], params: Buffer, auths: readonly Tpm12AuthArea[] = []): Buffer {
  if (auths.length > 2) throw new TpmFormatError('a TPM 1.2 command carries at most two authorization sessions');
  const tag = auths.length === 0 ? TPM12_TAG.RQU_COMMAND : auths.length === 1 ? TPM12_TAG.RQU_AUTH1_COMMAND : TPM12_TAG.RQU_AUTH2_COMMAND;
  const body = new TpmWriter();
  for (const h of handles) body.u32(h);
  body.bytes(params);
  for (const a of auths) {
    if (a.nonceOdd.length !== 20 || a.auth.length !== 20) throw new TpmFormatError('TPM 1.2 nonces and authorization values are 20 bytes');
    body.u32(a.handle).bytes(a.nonceOdd).u8(a.continueSession ? 1 : 0).bytes(a.auth);
  }
  return frameCommand(tag, ordinal, body.toBuffer());
}

export interface Tpm12Response {
  tag: number;
  rc: number;
  handles: number[];
  /** The output parameters: what the response HMAC covers (handles and auth areas excluded). */
  params: Buffer;
  auths: Tpm12ResponseAuth[];
}

/** Splits a response; `handleCount` output handles lead the parameters on success. */
export function parseTpm12Response(buf: Buffer, handleCount = 0): Tpm12Response {
  const r = new TpmReader(buf, 'TPM 1.2 response');
  const { tag, rc } = readResponseHeader(r, buf.length);
  const authCount = tag === TPM12_TAG.RSP_COMMAND ? 0 : tag === TPM12_TAG.RSP_AUTH1_COMMAND ? 1 : tag === TPM12_TAG.RSP_AUTH2_COMMAND ? 2 : -1;
  if (authCount < 0) throw new TpmFormatError(`TPM 1.2 response tag 0x${tag.toString(16)} is not a response tag`);
  if (rc !== 0) return { tag, rc, handles: [], params: Buffer.alloc(0), auths: [] };
  const rest = r.rest();
  const authBytes = authCount * AUTH_RESPONSE_SIZE;
  if (rest.length < handleCount * 4 + authBytes) throw new TpmFormatError('TPM 1.2 response is too short for its handles and authorization');
  const hr = new TpmReader(rest.subarray(0, handleCount * 4));
  const handles: number[] = [];
  for (let i = 0; i < handleCount; i++) handles.push(hr.u32());
  const params = Buffer.from(rest.subarray(handleCount * 4, rest.length - authBytes));
  const ar = new TpmReader(rest.subarray(rest.length - authBytes), 'TPM 1.2 response authorization');
  const auths: Tpm12ResponseAuth[] = [];
  for (let i = 0; i < authCount; i++) auths.push({ nonceEven: Buffer.from(ar.bytes(20)), continueSession: ar.u8() !== 0, resAuth: Buffer.from(ar.bytes(20)) });
  return { tag, rc, handles, params, auths };
}
