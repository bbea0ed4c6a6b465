// The host's TPM certificate authorities: one issues EK certificates for virtual TPMs (so a
// challenger can tell a vTPM from a hardware TPM), one stands in for a TPM manufacturer and
// certifies the swtpm that plays the management VM's hardware TPM. Kept in the host state dir.
import { generateKeyPairSync, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';
import { TvdcError } from '../TvdcError.js';

export type TpmCaKind = 'virtual' | 'platform';

/** tcg-kp-EKCertificate: the extended key usage TCG gives EK certificates. */
export const TCG_KP_EK_CERTIFICATE = '2.23.133.8.1';

const OU: Record<TpmCaKind, string> = { virtual: 'virtual TPM', platform: 'hardware TPM (swtpm stand-in)' };

function writeAtomic(file: string, data: string, mode: number): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data, { mode });
  renameSync(tmp, file);
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
    cert.sign(fKey, forge.md.sha256.create());
    const certPem = forge.pki.certificateToPem(cert);
    writeAtomic(keyFile, keyPem, 0o600);
    writeAtomic(certFile, certPem, 0o644);
    return new VtpmCa(kind, certPem, keyPem);
  }

  get certificate(): X509Certificate {
    return new X509Certificate(this.certificatePem);
  }

  /** Issues the EK certificate of one TPM, binding `ekPublic` to the TPM's name. */
  issueEkCertificate(ekPublic: KeyObject, tpmName: string): string {
    if (ekPublic.asymmetricKeyType !== 'rsa') throw new TvdcError('INVALID_ARGUMENT', 'only RSA EKs are certified');
    const caKey = forge.pki.privateKeyFromPem(this.keyPem);
    const caCert = forge.pki.certificateFromPem(this.certificatePem);
    const cert = forge.pki.createCertificate();
    cert.publicKey = forge.pki.publicKeyFromPem(ekPublic.export({ type: 'spki', format: 'pem' }).toString());
    cert.serialNumber = serial();
    cert.validity.notBefore = new Date(Date.now() - 86_400_000);
    cert.validity.notAfter = new Date(Date.now() + 10 * 365 * 86_400_000);
    cert.setSubject([
      { name: 'commonName', value: `tvdc ${this.kind === 'virtual' ? 'vTPM' : 'platform TPM'} EK ${tpmName}` },
      { name: 'organizationName', value: 'tvdc' },
      { shortName: 'OU', value: OU[this.kind] },
    ]);
    cert.setIssuer(caCert.subject.attributes);
    const eku = forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SEQUENCE, true, [
      forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.OID, false, forge.asn1.oidToDer(TCG_KP_EK_CERTIFICATE).getBytes()),
    ]);
    cert.setExtensions([
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', keyEncipherment: true, critical: true },
      { id: '2.5.29.37', value: eku },
      { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
    ]);
    cert.sign(caKey, forge.md.sha256.create());
    return forge.pki.certificateToPem(cert);
  }
}

function serial(): string {
  const b = randomBytes(16);
  b[0]! &= 0x7f; // positive INTEGER
  return b.toString('hex');
}
