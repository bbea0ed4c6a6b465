// A throwaway CA, a server certificate for 127.0.0.1 and a client certificate, written as PEM files
// into a temporary directory for HTTPS tests. Keys come from node:crypto; node-forge signs.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';

export interface TestPki {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** PEM texts of the same, for servers configured in-process. */
  pem: { ca: string; serverCert: string; serverKey: string };
  remove(): void;
}

function keyPair(): { pem: string; forgeKey: forge.pki.rsa.PrivateKey; forgePublic: forge.pki.rsa.PublicKey } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(pem);
  return { pem, forgeKey, forgePublic: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e) };
}

function certificate(
  subjectCn: string, publicKey: forge.pki.rsa.PublicKey, issuer: forge.pki.Certificate | null, signer: forge.pki.rsa.PrivateKey,
  serial: string, extensions: object[],
): forge.pki.Certificate {
  const c = forge.pki.createCertificate();
  c.publicKey = publicKey;
  c.serialNumber = serial;
  c.validity.notBefore = new Date(Date.now() - 60_000);
  c.validity.notAfter = new Date(Date.now() + 24 * 3600_000);
  c.setSubject([{ name: 'commonName', value: subjectCn }]);
  c.setIssuer(issuer ? issuer.subject.attributes : [{ name: 'commonName', value: subjectCn }]);
  c.setExtensions(extensions);
  c.sign(signer, forge.md.sha256.create());
  return c;
}

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'tvdc-client-tls-'));
  const ca = keyPair();
  const caCert = certificate('tvdc test CA', ca.forgePublic, null, ca.forgeKey, '01', [
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
  ]);
  const server = keyPair();
  const serverCert = certificate('127.0.0.1', server.forgePublic, caCert, ca.forgeKey, '02', [
    { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
    { name: 'extKeyUsage', serverAuth: true },
  ]);
  const client = keyPair();
  const clientCert = certificate('tvdc test client', client.forgePublic, caCert, ca.forgeKey, '03', [
    { name: 'extKeyUsage', clientAuth: true },
  ]);
  const files = {
    caCert: join(dir, 'ca.pem'), serverCert: join(dir, 'server.pem'), serverKey: join(dir, 'server.key'),
    clientCert: join(dir, 'client.pem'), clientKey: join(dir, 'client.key'),
  };
  const caPem = forge.pki.certificateToPem(caCert);
  const serverPem = forge.pki.certificateToPem(serverCert);
  writeFileSync(files.caCert, caPem);
  writeFileSync(files.serverCert, serverPem);
  writeFileSync(files.serverKey, server.pem);
  writeFileSync(files.clientCert, forge.pki.certificateToPem(clientCert));
  writeFileSync(files.clientKey, client.pem);
  return { dir, ...files, pem: { ca: caPem, serverCert: serverPem, serverKey: server.pem }, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
