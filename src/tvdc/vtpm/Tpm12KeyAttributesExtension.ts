// The X.509 extension in which the vTPM CA states what a TPM 1.2 quote key is: its key usage,
// flags and TPM_KEY_PARMS (so its signature scheme) as the vTPM reported them. A challenger reads
// it to refuse a key of scheme TPM_SS_RSASSAPKCS1v15_SHA1, whose TPM_Sign can forge a quote.
//
// Why an extension and not a certificate policy: a policy OID only says "issued under policy X",
// one yes/no per OID, while the scheme is a value of the key; the extension carries the TPM's own
// TPM_KEY_PARMS bytes, so a challenger compares exactly what the TPM said, and a scheme TCG may add
// later needs no new OID. It is not critical: X.509 tools that do not know it (openssl verify)
// still accept the certificate, and every tvdc challenger requires it anyway.
//
// The OID is a private one, registered with no one: tvdc owns no OID arc, so it is a UUID OID
// under 2.25 (ITU-T X.667 / ISO/IEC 9834-8), which anyone may form from a random UUID without
// registration and which is unique by construction. UUID 74ab6bc3-5501-416f-80da-ee1341f98940.
//
//   TvdcTpm12KeyAttributes ::= SEQUENCE {
//     keyUsage  INTEGER,      -- TPM_KEY_USAGE of the key (0x0010 signing)
//     keyFlags  INTEGER,      -- TPM_KEY_FLAGS (0x00000002 migratable)
//     keyParms  OCTET STRING  -- TPM_KEY_PARMS, as TPM_GetPubKey returned them
//   }
import forge from 'node-forge';
import { TpmFormatError, TpmReader, TpmWriter } from './TpmBuffer.js';
import { readKeyParms, writeKeyParms, type Tpm12KeyParms } from './Tpm12Key.js';

/** Private, unregistered OID (2.25 UUID arc, X.667): tvdc's TPM 1.2 key attributes extension. */
export const TPM12_KEY_ATTRIBUTES_OID = '2.25.155080515967486721562930446489511102784';

export interface Tpm12KeyAttributes {
  keyUsage: number;
  keyFlags: number;
  parms: Tpm12KeyParms;
}

/**
 * The OID's DER content bytes. Computed with BigInt: the arc is a 128-bit number, beyond the
 * 32-bit arcs node-forge's OID encoder handles.
 */
function oidContent(oid: string): Buffer {
  const arcs = oid.split('.').map((a) => BigInt(a));
  if (arcs.length < 2 || arcs[0]! > 2n || (arcs[0]! < 2n && arcs[1]! > 39n)) throw new TpmFormatError(`OID ${oid} is not valid`);
  const out: number[] = [];
  for (const v of [arcs[0]! * 40n + arcs[1]!, ...arcs.slice(2)]) {
    const bytes: number[] = [Number(v & 0x7fn)];
    for (let r = v >> 7n; r > 0n; r >>= 7n) bytes.unshift(Number(r & 0x7fn) | 0x80);
    out.push(...bytes);
  }
  return Buffer.from(out);
}

const OID_CONTENT = oidContent(TPM12_KEY_ATTRIBUTES_OID);

function integer(v: number): forge.asn1.Asn1 {
  return forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.INTEGER, false, forge.asn1.integerToDer(v).getBytes());
}

/** The Extension (extnID, extnValue) for these attributes, ready to go into a TBSCertificate. */
export function tpm12KeyAttributesExtension(a: Tpm12KeyAttributes): forge.asn1.Asn1 {
  const { asn1 } = forge;
  const parms = writeKeyParms(new TpmWriter(), a.parms).toBuffer();
  const value = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    integer(a.keyUsage),
    integer(a.keyFlags),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, parms.toString('binary')),
  ]);
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, OID_CONTENT.toString('binary')),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, asn1.toDer(value).getBytes()),
  ]);
}

/** DER to ASN.1, every byte used; BIT STRINGs (the certificate's key and signature) left undecoded. */
export function derToAsn1(der: Buffer): forge.asn1.Asn1 {
  const fromDer = forge.asn1.fromDer as unknown as (b: forge.util.ByteBuffer, o: { strict: boolean; parseAllBytes: boolean; decodeBitStrings: boolean }) => forge.asn1.Asn1;
  return fromDer(forge.util.createBuffer(der.toString('binary')), { strict: true, parseAllBytes: true, decodeBitStrings: false });
}

function children(n: forge.asn1.Asn1): forge.asn1.Asn1[] {
  return Array.isArray(n.value) ? n.value : [];
}

/**
 * The Extensions list of a TBSCertificate (inside its [3] EXPLICIT tag) as forge holds it, so an
 * Extension pushed onto it goes into the certificate; undefined when there is none.
 */
export function tbsExtensions(tbs: forge.asn1.Asn1): forge.asn1.Asn1[] | undefined {
  const wrapper = children(tbs).find((n) => n.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC && n.type === 3);
  const list = wrapper && children(wrapper)[0];
  return list && Array.isArray(list.value) ? list.value : undefined;
}

function isUniversal(n: forge.asn1.Asn1 | undefined, type: number): n is forge.asn1.Asn1 {
  return n !== undefined && n.tagClass === forge.asn1.Class.UNIVERSAL && n.type === type;
}

function smallInteger(n: forge.asn1.Asn1 | undefined, what: string): number {
  if (!isUniversal(n, forge.asn1.Type.INTEGER) || typeof n.value !== 'string' || n.value.length === 0 || n.value.length > 5) throw new TpmFormatError(`${what} is not a 32-bit INTEGER`);
  const v = forge.asn1.derToInteger(n.value);
  if (v < 0 || v > 0xffffffff) throw new TpmFormatError(`${what} is out of range`);
  return v;
}

/**
 * Reads the attributes from a certificate (DER). Undefined when the certificate has no such
 * extension; TpmFormatError when it has one that does not parse.
 */
export function readTpm12KeyAttributes(certDer: Buffer): Tpm12KeyAttributes | undefined {
  const { asn1 } = forge;
  let cert: forge.asn1.Asn1;
  try {
    cert = derToAsn1(certDer);
  } catch (e) {
    throw new TpmFormatError(`certificate DER: ${(e as Error).message}`);
  }
  const tbs = children(cert)[0];
  const list = tbs && tbsExtensions(tbs);
  if (!list) return undefined;
  const ext = list.find((e) => {
    const id = children(e)[0];
    return isUniversal(id, asn1.Type.OID) && Buffer.from(String(id.value), 'binary').equals(OID_CONTENT);
  });
  if (!ext) return undefined;
  const octets = children(ext).at(-1);
  if (!isUniversal(octets, asn1.Type.OCTETSTRING) || typeof octets.value !== 'string') throw new TpmFormatError('the TPM 1.2 key attributes extension has no value');
  let seq: forge.asn1.Asn1;
  try {
    seq = derToAsn1(Buffer.from(octets.value, 'binary'));
  } catch (e) {
    throw new TpmFormatError(`the TPM 1.2 key attributes extension: ${(e as Error).message}`);
  }
  const [usage, flags, parms] = children(seq);
  if (!isUniversal(seq, asn1.Type.SEQUENCE) || children(seq).length !== 3 || !isUniversal(parms, asn1.Type.OCTETSTRING) || typeof parms.value !== 'string') {
    throw new TpmFormatError('the TPM 1.2 key attributes extension is not SEQUENCE { keyUsage, keyFlags, keyParms }');
  }
  const r = new TpmReader(Buffer.from(parms.value, 'binary'), 'TPM_KEY_PARMS in the key attributes extension');
  const keyParms = readKeyParms(r);
  r.end();
  return { keyUsage: smallInteger(usage, 'keyUsage'), keyFlags: smallInteger(flags, 'keyFlags'), parms: keyParms };
}
