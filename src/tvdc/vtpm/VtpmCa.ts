// The host's TPM certificate authorities: one issues EK certificates for virtual TPMs (so a
// challenger can tell a vTPM from a hardware TPM), one stands in for a TPM manufacturer and
// certifies the swtpm that plays the management VM's hardware TPM. Kept in the host state dir.
import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';
import { TvdcError } from '../TvdcError.js';
import { TPM12_KEY_FLAGS, TPM12_KEY_USAGE, TPM12_SS, tpm12SigSchemeName } from './Tpm12Constants.js';
import { tbsExtensions, tpm12KeyAttributesExtension } from './Tpm12KeyAttributesExtension.js';
import { Tpm12KeyReading } from './Tpm12KeyReading.js';

export type TpmCaKind = 'virtual' | 'platform';

/** tcg-kp-EKCertificate: the extended key usage TCG gives EK certificates. */
export const TCG_KP_EK_CERTIFICATE = '2.23.133.8.1';
/** tcg-kp-AIKCertificate: the extended key usage TCG gives attestation identity key certificates. */
export const TCG_KP_AIK_CERTIFICATE = '2.23.133.8.3';

/**
 * How a quote key certificate names the EK of its TPM: the subject's serialNumber attribute is
 * this prefix and the SHA-256 of the EK's SubjectPublicKeyInfo (DER), in hex.
 */
const EK_BINDING_PREFIX = 'ek-sha256:';

export function ekBinding(ekPublic: KeyObject): string {
  return EK_BINDING_PREFIX + createHash('sha256').update(ekPublic.export({ type: 'spki', format: 'der' })).digest('hex');
}

const OU: Record<TpmCaKind, string> = { virtual: 'virtual TPM', platform: 'hardware TPM (swtpm stand-in)' };

function writeAtomic(file: string, data: string, mode: number): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data, { mode });
  renameSync(tmp, file);
}

/**
 * PEM with LF line ends, as node:crypto writes it: forge ends lines with CRLF, and a CR in a CIM
 * string goes on the wire as `&#13;`, which wbemcli prints as is.
 */
function pem(cert: forge.pki.Certificate): string {
  return forge.pki.certificateToPem(cert).replace(/\r\n/g, '\n');
}

export class VtpmCa {
  private constructor(
    readonly kind: TpmCaKind,
    readonly certificatePem: string,
    private readonly keyPem: string,
  ) {}

  /** Loads the CA kept in `dir`, creating it (key 0600, then certificate) the first time. */
  static openOrCreate(dir: string, kind: TpmCaKind, hostName: string): VtpmCa {
    const keyFile = join(dir, `${kind}-ca-key.pem`);
    const certFile = join(dir, `${kind}-ca-cert.pem`);
    if (existsSync(keyFile) && existsSync(certFile)) {
      return new VtpmCa(kind, readFileSync(certFile, 'utf8'), readFileSync(keyFile, 'utf8'));
    }
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // node:crypto generates the key (forge's JS keygen takes seconds); forge only builds X.509.
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const fKey = forge.pki.privateKeyFromPem(keyPem);
    const cert = forge.pki.createCertificate();
    cert.publicKey = forge.pki.setRsaPublicKey(fKey.n, fKey.e);
    cert.serialNumber = serial();
    cert.validity.notBefore = new Date(Date.now() - 86_400_000);
    cert.validity.notAfter = new Date(Date.now() + 20 * 365 * 86_400_000);
    const subject = [
      { name: 'commonName', value: `tvdc ${kind === 'virtual' ? 'vTPM' : 'platform TPM'} CA ${hostName}` },
      { name: 'organizationName', value: 'tvdc' },
      { shortName: 'OU', value: OU[kind] },
    ];
    cert.setSubject(subject);
    cert.setIssuer(subject);
    cert.setExtensions([
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      { name: 'subjectKeyIdentifier' },
    ]);
    signWithNode(cert, keyPem);
    const certPem = pem(cert);
    writeAtomic(keyFile, keyPem, 0o600);
    writeAtomic(certFile, certPem, 0o644);
    return new VtpmCa(kind, certPem, keyPem);
  }

  get certificate(): X509Certificate {
    return new X509Certificate(this.certificatePem);
  }

  private forgeCert: forge.pki.Certificate | undefined;

  /** Issues the EK certificate of one TPM, binding `ekPublic` to the TPM's name. */
  issueEkCertificate(ekPublic: KeyObject, tpmName: string): string {
    if (ekPublic.asymmetricKeyType !== 'rsa') throw new TvdcError('INVALID_ARGUMENT', 'only RSA EKs are certified');
    return this.issueKeyCertificate(ekPublic, `EK ${tpmName}`, TCG_KP_EK_CERTIFICATE, { keyEncipherment: true });
  }

  /**
   * Certifies a TPM 1.2 vTPM's quote key: a non-migratable signing key this host created inside
   * that vTPM (under its SRK) and whose authorization only the host holds. TPM 1.2 has no
   * TPM 2.0-style credential activation for a plain signing key, so the CA that certifies the
   * vTPM's EK vouches for the key directly, binds it to that EK (subject serialNumber) and states
   * its usage, flags and parms (so its signature scheme) in the TPM 1.2 key attributes extension.
   * It takes only what the vTPM itself reported (a Tpm12KeyReading), and only a key of scheme
   * TPM_SS_RSASSAPKCS1v15_INFO: with any other scheme TPM_Sign could sign a made-up TPM_QUOTE_INFO.
   */
  issueQuoteKeyCertificate(reading: Tpm12KeyReading, tpmName: string): string {
    if (!(reading instanceof Tpm12KeyReading)) throw new TvdcError('INVALID_ARGUMENT', 'a quote key is certified only from what its TPM reported (Tpm12KeyReading)');
    const { parms } = reading.key;
    if (parms.sigScheme !== TPM12_SS.RSASSAPKCS1v15_INFO) {
      throw new TvdcError('INVALID_ARGUMENT', `the quote key has signature scheme ${tpm12SigSchemeName(parms.sigScheme)}, whose TPM_Sign can forge a quote: only ${tpm12SigSchemeName(TPM12_SS.RSASSAPKCS1v15_INFO)} keys are certified`);
    }
    if (reading.keyUsage !== TPM12_KEY_USAGE.SIGNING) throw new TvdcError('INVALID_ARGUMENT', `the quote key's usage is 0x${reading.keyUsage.toString(16)}, not a signing key (0x0010)`);
    if (reading.keyFlags & TPM12_KEY_FLAGS.MIGRATABLE) throw new TvdcError('INVALID_ARGUMENT', 'the quote key is migratable: it could leave its TPM');
    const attributes = tpm12KeyAttributesExtension({ keyUsage: reading.keyUsage, keyFlags: reading.keyFlags, parms });
    return this.issueKeyCertificate(reading.publicKey, `quote key ${tpmName}`, TCG_KP_AIK_CERTIFICATE, { digitalSignature: true }, [{ name: 'serialNumber', value: ekBinding(reading.ekPublicKey) }], [attributes]);
  }

  /** A ten-year leaf certificate for one TPM key: `role` names it, `ekuOid` says what TCG key it is. */
  private issueKeyCertificate(key: KeyObject, role: string, ekuOid: string, keyUsage: Record<string, boolean>, extraSubject: forge.pki.CertificateField[] = [], rawExtensions: forge.asn1.Asn1[] = []): string {
    const caCert = (this.forgeCert ??= forge.pki.certificateFromPem(this.certificatePem));
    const cert = forge.pki.createCertificate();
    cert.publicKey = forge.pki.publicKeyFromPem(key.export({ type: 'spki', format: 'pem' }).toString());
    cert.serialNumber = serial();
    cert.validity.notBefore = new Date(Date.now() - 86_400_000);
    cert.validity.notAfter = new Date(Date.now() + 10 * 365 * 86_400_000);
    cert.setSubject([
      { name: 'commonName', value: `tvdc ${this.kind === 'virtual' ? 'vTPM' : 'platform TPM'} ${role}` },
      { name: 'organizationName', value: 'tvdc' },
      { shortName: 'OU', value: OU[this.kind] },
      ...extraSubject,
    ]);
    cert.setIssuer(caCert.subject.attributes);
    const eku = forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SEQUENCE, true, [
      forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.OID, false, forge.asn1.oidToDer(ekuOid).getBytes()),
    ]);
    cert.setExtensions([
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', ...keyUsage, critical: true },
      { id: '2.5.29.37', value: eku },
      { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
    ]);
    signWithNode(cert, this.keyPem, rawExtensions);
    return pem(cert);
  }
}

/**
 * Signs a forge-built certificate with node:crypto (SHA-256 with RSA): forge lays out the
 * X.509 structure, the native signer is many times faster than forge's JavaScript RSA.
 * `rawExtensions` (whole Extension structures) are appended to the TBSCertificate as they are:
 * forge cannot encode an OID arc above 32 bits, as a 2.25 UUID OID has.
 */
function signWithNode(cert: forge.pki.Certificate, keyPem: string, rawExtensions: forge.asn1.Asn1[] = []): void {
  const oid = forge.pki.oids['sha256WithRSAEncryption']!;
  cert.siginfo.algorithmOid = oid;
  cert.signatureOid = oid;
  // getTBSCertificate is part of forge's API but missing from its type declarations.
  const pki = forge.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 };
  const tbsAsn1 = pki.getTBSCertificate(cert);
  if (rawExtensions.length) {
    const extensions = tbsExtensions(tbsAsn1);
    if (!extensions) throw new TvdcError('INVALID_ARGUMENT', 'a certificate with extra extensions needs an extensions field');
    extensions.push(...rawExtensions);
    // certificateToPem writes this TBSCertificate, not one rebuilt from the fields without them.
    (cert as unknown as { tbsCertificate: forge.asn1.Asn1 }).tbsCertificate = tbsAsn1;
  }
  const tbs = Buffer.from(forge.asn1.toDer(tbsAsn1).getBytes(), 'binary');
  cert.signature = sign('sha256', tbs, createPrivateKey(keyPem)).toString('binary');
}

function serial(): string {
  const b = randomBytes(16);
  b[0]! &= 0x7f; // positive INTEGER
  return b.toString('hex');
}
