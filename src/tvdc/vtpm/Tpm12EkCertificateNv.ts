// A TPM 1.2's EK certificate in its NV, where the TCG PC Client specification (1.21, 7.4.4) puts
// it, so guest software finds it as on a hardware TPM: index TPM_NV_INDEX_EKCert (with the D bit),
// holding TCG_PCCLIENT_STORED_CERT { tag 0x1001, certType TCG_FULL_CERT (0), certSize } followed
// by TCG_FULL_CERT { tag 0x1002, the DER certificate }, certSize counting the TCG_FULL_CERT.
import { X509Certificate } from 'node:crypto';
import { TvdcError } from '../TvdcError.js';
import type { Tpm12 } from './Tpm12.js';
import { TPM12_NV_INDEX, TPM12_NV_PER } from './Tpm12Constants.js';
import { TpmFormatError, TpmReader, TpmWriter } from './TpmBuffer.js';

const TCG_TAG_PCCLIENT_STORED_CERT = 0x1001;
const TCG_TAG_PCCLIENT_FULL_CERT = 0x1002;
const TCG_FULL_CERT = 0;
/** The TCG_PCCLIENT_STORED_CERT header: tag, certType, certSize. */
const STORED_HEADER = 5;
/** Where the DER certificate starts: after that header and the TCG_FULL_CERT tag. */
const CERT_OFFSET = STORED_HEADER + 2;

function encodeStoredCert(der: Buffer): Buffer {
  if (der.length + 2 > 0xffff) throw new TvdcError('INVALID_ARGUMENT', `an EK certificate of ${der.length} bytes does not fit a TCG_PCCLIENT_STORED_CERT`);
  return new TpmWriter().u16(TCG_TAG_PCCLIENT_STORED_CERT).u8(TCG_FULL_CERT).u16(der.length + 2).u16(TCG_TAG_PCCLIENT_FULL_CERT).bytes(der).toBuffer();
}

/** The size of the whole stored certificate, read from its TCG_PCCLIENT_STORED_CERT header. */
function storedSize(header: Buffer): number {
  const r = new TpmReader(header, 'TCG_PCCLIENT_STORED_CERT');
  if (r.u16() !== TCG_TAG_PCCLIENT_STORED_CERT) throw new TpmFormatError('the EK certificate NV area does not start with TCG_TAG_PCCLIENT_STORED_CERT');
  if (r.u8() !== TCG_FULL_CERT) throw new TpmFormatError('the EK certificate NV area holds no TCG_FULL_CERT');
  return STORED_HEADER + r.u16();
}

function decodeStoredCert(stored: Buffer): Buffer {
  if (stored.length < CERT_OFFSET || storedSize(stored.subarray(0, STORED_HEADER)) !== stored.length) throw new TpmFormatError('the TCG_PCCLIENT_STORED_CERT size does not match its contents');
  if (stored.readUInt16BE(STORED_HEADER) !== TCG_TAG_PCCLIENT_FULL_CERT) throw new TpmFormatError('the stored EK certificate is not tagged TCG_TAG_PCCLIENT_FULL_CERT');
  return stored.subarray(CERT_OFFSET);
}

/**
 * Defines the EK certificate area (written by the owner only, read by anyone: the certificate is
 * public, and TCG software reads it without authorization), writes the certificate, then sets
 * nvLocked so from now on only the owner (the host) can write it, as on a hardware TPM, whose
 * NV leaves the factory locked. Runs once, on a new TPM, before anything else uses its NV.
 */
export async function storeTpm12EkCertificate(tpm: Tpm12, ownerAuth: Buffer, certificatePem: string): Promise<void> {
  const stored = encodeStoredCert(new X509Certificate(certificatePem).raw);
  await tpm.nvDefineSpace(ownerAuth, TPM12_NV_INDEX.EK_CERT, stored.length, TPM12_NV_PER.OWNERWRITE);
  await tpm.nvWriteValue(ownerAuth, TPM12_NV_INDEX.EK_CERT, stored);
  await tpm.nvLock();
}

/** Reads the EK certificate back from NV, as guest software would (no authorization), as PEM. */
export async function readTpm12EkCertificate(tpm: Tpm12): Promise<string> {
  const size = storedSize(await tpm.nvReadValue(TPM12_NV_INDEX.EK_CERT, 0, STORED_HEADER));
  return new X509Certificate(decodeStoredCert(await tpm.nvReadValue(TPM12_NV_INDEX.EK_CERT, 0, size))).toString();
}
