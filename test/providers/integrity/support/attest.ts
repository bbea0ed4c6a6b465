// A challenger over CIM: enrols a target's AK (GetAttestationKey, then ActivateCredential on a
// credential the project's Verifier sealed to the EK) and fetches GetQuote results as QuoteBundles.
import { CimObjectPath } from '../../../../src/cim/CimObjectPath.js';
import type { QuoteBundle } from '../../../../src/tvdc/integrity/QuoteBundle.js';
import type { Verifier } from '../../../../src/tvdc/integrity/Verifier.js';
import { WbemConnection } from '../../../../client/cim/index.js';

export function attestationService(host: string): CimObjectPath {
  return CimObjectPath.instance('TVDc_AttestationService', {
    CreationClassName: 'TVDc_AttestationService', Name: 'AttestationService', SystemCreationClassName: 'TVDc_HostSystem', SystemName: host,
  }, 'root/tvdc');
}

export function vmPath(name: string): CimObjectPath {
  return CimObjectPath.instance('TVDc_ComputerSystem', { CreationClassName: 'TVDc_ComputerSystem', Name: name }, 'root/tvdc');
}

export function hostPath(name: string): CimObjectPath {
  return CimObjectPath.instance('TVDc_HostSystem', { CreationClassName: 'TVDc_HostSystem', Name: name }, 'root/tvdc');
}

export function connect(origin: string): WbemConnection {
  return new WbemConnection(origin, { namespace: 'root/tvdc' });
}

function str(v: unknown, name: string): string {
  if (typeof v !== 'string') throw new Error(`${name} is not a string: ${String(v)}`);
  return v;
}

/** Enrols `target` (the verifier's name for it) through the host's CIM methods. */
export async function enrol(conn: WbemConnection, host: string, target: CimObjectPath, verifier: Verifier, name: string): Promise<void> {
  const key = await conn.invokeMethod(attestationService(host), 'GetAttestationKey', { Target: target });
  if (Number(key.returnValue) !== 0) throw new Error(`GetAttestationKey returned ${String(key.returnValue)}`);
  const area = Buffer.from(str(key.outParams.get('AKPublicArea')?.value, 'AKPublicArea'), 'base64');
  const challenge = verifier.beginEnrolment(name, str(key.outParams.get('EKCertificate')?.value, 'EKCertificate'), area);
  const act = await conn.invokeMethod(attestationService(host), 'ActivateCredential', {
    Target: target,
    CredentialBlob: challenge.credentialBlob.toString('base64'),
    Secret: challenge.secret.toString('base64'),
  });
  verifier.finishEnrolment(name, Buffer.from(str(act.outParams.get('Credential')?.value, 'Credential'), 'base64'));
}

/** GetQuote through the project's CIM client, as a QuoteBundle the Verifier checks. */
export async function getQuote(
  conn: WbemConnection,
  host: string,
  target: CimObjectPath,
  nonce: string,
  opts: { pcrs?: number[]; fromIndex?: number } = {},
): Promise<{ returnValue: number; bundle: QuoteBundle }> {
  const args: Record<string, unknown> = { Target: target, Nonce: nonce, FromIndex: { type: 'uint64', value: BigInt(opts.fromIndex ?? 0) } };
  if (opts.pcrs) args['PCRSelection'] = { type: 'uint32', isArray: true, value: opts.pcrs };
  const r = await conn.invokeMethod(attestationService(host), 'GetQuote', args as Parameters<WbemConnection['invokeMethod']>[2]);
  const out = (n: string) => r.outParams.get(n)?.value;
  const list = (n: string): string[] => {
    const v = out(n);
    return Array.isArray(v) ? v.map(String) : [];
  };
  return {
    returnValue: Number(r.returnValue),
    bundle: {
      quote: str(out('Quote'), 'Quote'),
      signature: str(out('Signature'), 'Signature'),
      akPublic: str(out('AKPublic'), 'AKPublic'),
      ekCertificate: str(out('EKCertificate'), 'EKCertificate'),
      pcrValues: list('PCRValues'),
      logEntries: list('LogEntries'),
      logIndex: Number(out('LogIndex')),
    },
  };
}
