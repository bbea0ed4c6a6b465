// What a vTPM migration package holds: the swtpm state blobs, identity (EK, EK certificate, AK)
// and measurement list, as versioned JSON. It only ever travels inside a SealedVtpmPackage, whose
// signature and AES-GCM tag catch any change, so it carries no checksum of its own.
import type { ImaEntry } from '../integrity/ImaEntry.js';
import { VtpmPackageError } from './VtpmPackageError.js';

export interface VtpmStatePackage {
  id: string;
  kind: 'vm' | 'host';
  akKind: 'rsa' | 'ecc';
  ekCertificatePem: string;
  ekPublic: Buffer;
  akPublic: Buffer;
  permanent: Buffer;
  /** Present when exported from a running vTPM: PCRs and sessions, so the move is invisible. */
  volatile?: Buffer;
  log: ImaEntry[];
}

const FORMAT = 'tvdc-vtpm-state/2';

function bad(msg: string): never {
  throw new VtpmPackageError('MALFORMED', `the sealed vTPM state: ${msg}`);
}

export const VtpmState = {
  encode(p: VtpmStatePackage): Buffer {
    const body = {
      id: p.id,
      kind: p.kind,
      akKind: p.akKind,
      ekCertificatePem: p.ekCertificatePem,
      ekPublic: p.ekPublic.toString('base64'),
      akPublic: p.akPublic.toString('base64'),
      permanent: p.permanent.toString('base64'),
      volatile: p.volatile?.toString('base64') ?? null,
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
    if (!outer || outer.format !== FORMAT) bad(`format is not ${FORMAT}`);
    const b = outer.body as Record<string, unknown>;
    if (!b || typeof b !== 'object' || Array.isArray(b)) bad('body is not an object');
    const str = (k: string) => (typeof b[k] === 'string' ? (b[k] as string) : bad(`${k} missing`));
    const kind = str('kind');
    const akKind = str('akKind');
    if (kind !== 'vm' && kind !== 'host') bad('kind must be vm or host');
    if (akKind !== 'rsa' && akKind !== 'ecc') bad('akKind must be rsa or ecc');
    if (!Array.isArray(b['log'])) bad('log missing');
    const pkg: VtpmStatePackage = {
      id: str('id'),
      kind,
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
    return pkg;
  },
};
