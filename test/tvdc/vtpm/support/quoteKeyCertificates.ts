// Test helpers: TPM 1.2 quote key certificates the vTPM CA itself would not issue, made with the
// CA's own key file. One is exactly what tvdc issued before it stated the key's scheme (no key
// attributes extension); others state what a test needs (a _SHA1 scheme). And re-signing a real
// certificate with another CA's key. They let tests show what the challenger does with them.
import { createPrivateKey, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';
import { derToAsn1, tbsExtensions, tpm12KeyAttributesExtension, type Tpm12KeyAttributes } from '../../../../src/tvdc/vtpm/Tpm12KeyAttributesExtension.js';
import { ekBinding, TCG_KP_AIK_CERTIFICATE } from '../../../../src/tvdc/vtpm/VtpmCa.js';

/** The vTPM CA's key, from the host state dir a VtpmManager keeps it in. */
export function vtpmCaKeyPem(stateDir: string): string {
  return readFileSync(join(stateDir, 'vtpm', 'ca', 'virtual-ca-key.pem'), 'utf8');
}

function signTbs(tbs: forge.asn1.Asn1, caKeyPem: string): string {
  const { asn1 } = forge;
  const der = Buffer.from(asn1.toDer(tbs).getBytes(), 'binary');
  const sig = sign('sha256', der, createPrivateKey(caKeyPem));
  const cert = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    tbs,
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(forge.pki.oids['sha256WithRSAEncryption']!).getBytes()),
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, ''),
    ]),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, `\0${sig.toString('binary')}`),
  ]);
  return new X509Certificate(Buffer.from(asn1.toDer(cert).getBytes(), 'binary')).toString();
}

/**
 * A quote key certificate laid out as the vTPM CA lays it out, signed with `caKeyPem`. Without
 * `attributes` it is what tvdc issued before it stated the key's scheme.
 */
export function quoteKeyCertificate(o: { caPem: string; caKeyPem: string; key: KeyObject; ek: KeyObject; tpmName: string; attributes?: Tpm12KeyAttributes }): string {
  const ca = forge.pki.certificateFromPem(o.caPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(o.key.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = '01' + Date.now().toString(16);
  cert.validity.notBefore = new Date(Date.now() - 86_400_000);
  cert.validity.notAfter = new Date(Date.now() + 365 * 86_400_000);
  cert.setSubject([
    { name: 'commonName', value: `tvdc vTPM quote key ${o.tpmName}` },
    { name: 'organizationName', value: 'tvdc' },
    { shortName: 'OU', value: 'virtual TPM' },
    { name: 'serialNumber', value: ekBinding(o.ek) },
  ]);
  cert.setIssuer(ca.subject.attributes);
  const eku = forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SEQUENCE, true, [
    forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.OID, false, forge.asn1.oidToDer(TCG_KP_AIK_CERTIFICATE).getBytes()),
  ]);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, critical: true },
    { id: '2.5.29.37', value: eku },
  ]);
  const oid = forge.pki.oids['sha256WithRSAEncryption']!;
  cert.siginfo.algorithmOid = oid;
  const pki = forge.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 };
  const tbs = pki.getTBSCertificate(cert);
  if (o.attributes) tbsExtensions(tbs)!.push(tpm12KeyAttributesExtension(o.attributes));
  return signTbs(tbs, o.caKeyPem);
}

/** The same TBSCertificate (subject, issuer name, extensions) signed with another key. */
export function resignCertificate(certPem: string, caKeyPem: string): string {
  const parsed = derToAsn1(new X509Certificate(certPem).raw);
  return signTbs((parsed.value as forge.asn1.Asn1[])[0]!, caKeyPem);
}
