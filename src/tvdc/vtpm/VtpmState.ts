// What a vTPM migration package holds: the swtpm state blobs, identity (EK, EK certificate, AK),
// TPM family (with a TPM 1.2's owner auth and quote key) and measurement list, as versioned JSON. It only ever travels inside a SealedVtpmPackage, whose
// signature and AES-GCM tag catch any change, so it carries no checksum of its own.
import type { ImaEntry } from '../integrity/ImaEntry.js';
import { VtpmPackageError } from './VtpmPackageError.js';
import type { TpmFamily } from './TpmFamily.js';
import type { Tpm12Secrets } from './VtpmManager.js';

export interface VtpmStatePackage {
  id: string;
  kind: 'vm' | 'host';
  family: TpmFamily;
  akKind: 'rsa' | 'ecc';
  ekCertificatePem: string;
  ekPublic: Buffer;
  akPublic: Buffer;
  permanent: Buffer;
  /** Present when exported from a running vTPM: PCRs and sessions, so the move is invisible. */
  volatile?: Buffer;
  /** Present for (and only for) a TPM 1.2 vTPM. */
  tpm12?: Tpm12Secrets;
  log: ImaEntry[];
}

/** Version 3 added the TPM family; version 2 packages are TPM 2.0 vTPMs and still accepted. */
const FORMAT = 'tvdc-vtpm-state/3';
const FORMAT_2 = 'tvdc-vtpm-state/2';

function bad(msg: string): never {
  throw new VtpmPackageError('MALFORMED', `the sealed vTPM state: ${msg}`);
}

export const VtpmState = {
  encode(p: VtpmStatePackage): Buffer {
    const body = {
      id: p.id,
      kind: p.kind,
      family: p.family,
      akKind: p.akKind,
      ekCertificatePem: p.ekCertificatePem,
      ekPublic: p.ekPublic.toString('base64'),
      akPublic: p.akPublic.toString('base64'),
      permanent: p.permanent.toString('base64'),
      volatile: p.volatile?.toString('base64') ?? null,
      tpm12: p.tpm12
        ? { ownerAuth: p.tpm12.ownerAuth.toString('base64'), keyAuth: p.tpm12.keyAuth.toString('base64'), keyBlob: p.tpm12.keyBlob.toString('base64'), akCertificatePem: p.tpm12.akCertificatePem }
        : null,
      log: p.log.map((e) => ({ pcr: e.pcr, templateHash: e.templateHash, templateName: e.templateName, templateData: e.templateData.toString('base64'), fileAlg: e.fileAlg, fileDigest: e.fileDigest, path: e.path })),
    };
    return Buffer.from(JSON.stringify({ format: FORMAT, body }));
  },

  decode(data: Buffer): VtpmStatePackage {
    let outer: { format?: unknown; body?: unknown };
    try {
      outer = JSON.parse(data.toString('utf8'));
    } catch {
      bad('not JSON');
    }
    if (!outer || (outer.format !== FORMAT && outer.format !== FORMAT_2)) bad(`format is not ${FORMAT}`);
    const b = outer.body as Record<string, unknown>;
    if (!b || typeof b !== 'object' || Array.isArray(b)) bad('body is not an object');
    const str = (k: string) => (typeof b[k] === 'string' ? (b[k] as string) : bad(`${k} missing`));
    const kind = str('kind');
    const akKind = str('akKind');
    if (kind !== 'vm' && kind !== 'host') bad('kind must be vm or host');
    if (akKind !== 'rsa' && akKind !== 'ecc') bad('akKind must be rsa or ecc');
    const family = outer.format === FORMAT_2 ? 'tpm2' : str('family');
    if (family !== 'tpm2' && family !== 'tpm12') bad('family must be tpm2 or tpm12');
    if (!Array.isArray(b['log'])) bad('log missing');
    const pkg: VtpmStatePackage = {
      id: str('id'),
      kind,
      family,
      akKind,
      ekCertificatePem: str('ekCertificatePem'),
      ekPublic: Buffer.from(str('ekPublic'), 'base64'),
      akPublic: Buffer.from(str('akPublic'), 'base64'),
      permanent: Buffer.from(str('permanent'), 'base64'),
      log: (b['log'] as Record<string, unknown>[]).map((e, index) => ({
        index,
        pcr: Number(e['pcr']),
        templateHash: String(e['templateHash']),
        templateName: String(e['templateName']),
        templateData: Buffer.from(String(e['templateData']), 'base64'),
        fileAlg: String(e['fileAlg']),
        fileDigest: String(e['fileDigest']),
        path: String(e['path']),
        violation: /^0+$/.test(String(e['templateHash'])),
      })),
    };
    if (typeof b['volatile'] === 'string') pkg.volatile = Buffer.from(b['volatile'], 'base64');
    if (pkg.permanent.length === 0) bad('permanent state is empty');
    if (family === 'tpm12') {
      const t = b['tpm12'] as Record<string, unknown> | null | undefined;
      if (!t || typeof t !== 'object') bad('a TPM 1.2 vTPM needs its quote key');
      const field = (k: string) => (typeof t[k] === 'string' ? (t[k] as string) : bad(`tpm12.${k} missing`));
      pkg.tpm12 = {
        ownerAuth: Buffer.from(field('ownerAuth'), 'base64'),
        keyAuth: Buffer.from(field('keyAuth'), 'base64'),
        keyBlob: Buffer.from(field('keyBlob'), 'base64'),
        akCertificatePem: field('akCertificatePem'),
      };
      if (pkg.tpm12.ownerAuth.length !== 20 || pkg.tpm12.keyAuth.length !== 20) bad('TPM 1.2 authorizations are 20 bytes');
    } else if (b['tpm12'] !== null && b['tpm12'] !== undefined) bad('a TPM 2.0 vTPM carries no TPM 1.2 quote key');
    return pkg;
  },
};
