// Which VM a vTPM's EK certificate was issued for. A host's vTPM CA names the TPM in the
// subject's CN as `tvdc vTPM EK <host>/<vm>`; a VM keeps its name (and its vTPM) when it
// migrates, while the host part stays the one the vTPM was made on, so only the VM part binds.
import { X509Certificate } from 'node:crypto';
import { IntegrityError } from './IntegrityError.js';

const VTPM_EK_CN = 'tvdc vTPM EK ';

/** The VM a vTPM EK certificate names, or undefined when its subject is not a vTPM CA's EK subject. */
export function vmOfEkCertificate(cert: X509Certificate): string | undefined {
  const cn = commonName(cert);
  if (cn === undefined || !cn.startsWith(VTPM_EK_CN)) return undefined;
  const name = cn.slice(VTPM_EK_CN.length);
  const slash = name.lastIndexOf('/');
  // VM names hold no slash (the hypervisor refuses them), host names may: the VM is the last part.
  const vm = slash < 0 ? '' : name.slice(slash + 1);
  return vm.length ? vm : undefined;
}

/**
 * Why `ekCertificatePem` may not be enrolled for VM `vm`, if it may not: it must name that VM,
 * or a host could answer for one VM with another VM's (or a copied) vTPM.
 */
export function ekVmProblem(ekCertificatePem: string, vm: string): string | undefined {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(ekCertificatePem);
  } catch (e) {
    return `EK certificate cannot be parsed: ${(e as Error).message}`;
  }
  const named = vmOfEkCertificate(cert);
  const cn = commonName(cert) ?? '(none)';
  if (named === undefined) return `the EK certificate (CN=${cn}) names no VM, yet VM ${vm} is being enrolled: a vTPM CA names its vTPMs "CN=${VTPM_EK_CN}<host>/<vm>"`;
  if (named !== vm) return `the EK certificate names VM ${named} (CN=${cn}), not ${vm}: the vTPM answering for ${vm} was made for ${named} (a copy of ${named}'s vTPM, or ${vm} given another VM's vTPM)`;
  return undefined;
}

function commonName(cert: X509Certificate): string | undefined {
  return cert.subject.split('\n').find((l) => l.startsWith('CN='))?.slice(3);
}

/**
 * An enrolment refused because the EK is not the target's own: `finding` is what the challenger
 * reports (EK_WRONG_VM: the certificate names another VM; EK_CLONED: another target has that EK).
 */
export class EkBindingError extends IntegrityError {
  constructor(
    readonly finding: 'EK_WRONG_VM' | 'EK_CLONED',
    message: string,
  ) {
    super('ENROLMENT_FAILED', message, 'ATTESTATION_FAILED');
  }
}

/** The EK's public key (DER SubjectPublicKeyInfo) a certificate certifies; undefined if it cannot be read. */
export function ekSpkiOf(ekCertificatePem: string): Buffer | undefined {
  try {
    return new X509Certificate(ekCertificatePem).publicKey.export({ type: 'spki', format: 'der' });
  } catch {
    return undefined;
  }
}
