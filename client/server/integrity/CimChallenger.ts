// The remote challenger's CIM side: enrols a target's attestation key (GetAttestationKey, then for
// a TPM 2.0 ActivateCredential on a credential the Verifier sealed to the certified EK, for a
// TPM 1.2 the vTPM CA's certificate of the quote key) and fetches GetQuote results as
// QuoteBundles, through one host's TVDc_AttestationService. Targets are VMs (TVDc_ComputerSystem)
// and the host itself (TVDc_HostSystem). It only carries messages: what the host answers is
// judged by the Verifier, never believed here.
import { CimObjectPath } from '../../../src/cim/CimObjectPath.js';
import type { QuoteBundle, QuoteFamily } from '../../../src/tvdc/integrity/QuoteBundle.js';
import type { Enrolment, EnrolmentExpectation, Verifier } from '../../../src/tvdc/integrity/Verifier.js';
import type { MethodArgument, MethodResult, WbemConnection } from '../../cim/index.js';
import { TVDC_NAMESPACE, vmPath } from '../HostCim.js';
import { ChallengeError } from './ChallengeError.js';

/** Something a challenger attests: a VM on a host, or (no `vm`) the host itself. */
export interface AttestationTarget {
  host: string;
  vm?: string;
}

export function attestationService(host: string): CimObjectPath {
  return CimObjectPath.instance('TVDc_AttestationService', {
    CreationClassName: 'TVDc_AttestationService', Name: 'AttestationService', SystemCreationClassName: 'TVDc_HostSystem', SystemName: host,
  }, TVDC_NAMESPACE);
}

export function hostPath(name: string): CimObjectPath {
  return CimObjectPath.instance('TVDc_HostSystem', { CreationClassName: 'TVDc_HostSystem', Name: name }, TVDC_NAMESPACE);
}

/** The VM a target path names (a TVDc_ComputerSystem's Name), or undefined for a host. */
function vmOfPath(p: CimObjectPath): string | undefined {
  if (p.className.toLowerCase() !== 'tvdc_computersystem') return undefined;
  const name = p.keys?.get('Name')?.value;
  return typeof name === 'string' ? name : undefined;
}

export function targetPath(t: AttestationTarget): CimObjectPath {
  return t.vm === undefined ? hostPath(t.host) : vmPath(t.vm);
}

/**
 * The Verifier's name for a target. VMs are named by VM name alone: a VM keeps its vTPM (and so
 * its enrolled AK and replay state) when it migrates to another host.
 */
export function verifierName(t: AttestationTarget): string {
  return t.vm === undefined ? `host:${t.host}` : `vm:${t.vm}`;
}

/** A target as messages and logs name it: `VM vm-1 on host h1`, or `host h1`. */
export function describeTarget(t: AttestationTarget): string {
  return t.vm === undefined ? `host ${t.host}` : `VM ${t.vm} on host ${t.host}`;
}

export interface QuoteOptions {
  /** PCRs to quote (both banks); default 0-10, which the boot_aggregate check needs. */
  pcrs?: number[];
  /** First measurement-list entry wanted: where the last verified batch ended. */
  fromIndex?: number;
}

const DEFAULT_PCRS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

export class CimChallenger {
  constructor(
    private readonly conn: WbemConnection,
    /** The host's name: the SystemName of its attestation service. */
    readonly host: string,
  ) {}

  /**
   * Binds the target's AK to its certified EK in `verifier`. TPM 2.0: by credential activation;
   * the EK certificate chain and the AK's attributes are checked by `verifier.beginEnrolment`.
   * TPM 1.2: by the quote key certificate, which `verifier.enrolTpm12` accepts only from the CA
   * that issued the EK certificate, among the anchors the verifier was given. Either refusal is
   * an IntegrityError; the host's CIM failures are thrown as they came.
   */
  async enrol(target: CimObjectPath, verifier: Verifier, name: string, expect?: EnrolmentExpectation): Promise<Enrolment> {
    // A VM's EK certificate must name that VM: the one the caller means, else the one asked about.
    const vm = expect?.vm ?? vmOfPath(target);
    const ekFor = vm !== undefined ? { vm } : {};
    const key = await this.call('GetAttestationKey', { Target: target });
    if (quoteFamily(key) === 'tpm12') {
      // The family the host names only picks the way in: the key is enrolled for TPM 1.2 quotes
      // alone, and only if the certificate chain proves it.
      const akCertificate = key.outParams.get('AKCertificate')?.value;
      if (typeof akCertificate !== 'string' || akCertificate.length === 0) {
        throw new ChallengeError('BAD_ANSWER', `host ${this.host}: GetAttestationKey names a TPM 1.2 but gives no AKCertificate, without which its quote key cannot be enrolled`);
      }
      return verifier.enrolTpm12(name, out(key, 'EKCertificate'), akCertificate, ekFor);
    }
    const area = Buffer.from(base64(out(key, 'AKPublicArea'), 'AKPublicArea', this.host), 'base64');
    const challenge = verifier.beginEnrolment(name, out(key, 'EKCertificate'), area, ekFor);
    const act = await this.call('ActivateCredential', {
      Target: target,
      CredentialBlob: challenge.credentialBlob.toString('base64'),
      Secret: challenge.secret.toString('base64'),
    });
    return verifier.finishEnrolment(name, Buffer.from(base64(out(act, 'Credential'), 'Credential', this.host), 'base64'));
  }

  /** GetQuote over `nonce` (8-64 bytes of hex), as a QuoteBundle for the Verifier. */
  async getQuote(target: CimObjectPath, nonce: string, opts: QuoteOptions = {}): Promise<QuoteBundle> {
    const args: Record<string, MethodArgument> = {
      Target: target,
      Nonce: nonce,
      FromIndex: { type: 'uint64', value: BigInt(opts.fromIndex ?? 0) },
      PCRSelection: { type: 'uint32', isArray: true, value: opts.pcrs ?? DEFAULT_PCRS },
    };
    const r = await this.call('GetQuote', args);
    const logIndex = Number(r.outParams.get('LogIndex')?.value);
    const family = quoteFamily(r);
    const akCertificate = r.outParams.get('AKCertificate')?.value;
    return {
      family,
      // Passed on as it came: the Verifier judges a TPM 1.2 quote without one (AK_NOT_BOUND).
      ...(family === 'tpm12' && typeof akCertificate === 'string' ? { akCertificate } : {}),
      quote: out(r, 'Quote'),
      signature: out(r, 'Signature'),
      akPublic: out(r, 'AKPublic'),
      ekCertificate: out(r, 'EKCertificate'),
      pcrValues: list(r, 'PCRValues'),
      logEntries: list(r, 'LogEntries'),
      // The Verifier refuses a bundle whose logIndex is not a non-negative integer.
      logIndex: Number.isSafeInteger(logIndex) ? logIndex : -1,
    };
  }

  private async call(method: string, args: Record<string, MethodArgument>): Promise<MethodResult> {
    const r = await this.conn.invokeMethod(attestationService(this.host), method, args);
    const rv = Number(r.returnValue);
    if (rv !== 0) {
      const why = rv === 1 ? 'Not Supported: the host runs without vTPMs' : String(r.outParams.get('Reason')?.value ?? 'no reason given');
      throw new ChallengeError('HOST_REFUSED', `host ${this.host}: ${method} returned ${rv} (${why})`);
    }
    return r;
  }
}

/**
 * The QuoteFamily output: `tpm12` for a TPM 1.2; anything else is a TPM 2.0, as from a host that
 * predates TPM 1.2 vTPMs and sends none. Naming the wrong family gains nothing: the Verifier
 * accepts a key only for the family it was enrolled for.
 */
function quoteFamily(r: MethodResult): QuoteFamily {
  return r.outParams.get('QuoteFamily')?.value === 'tpm12' ? 'tpm12' : 'tpm2';
}

function out(r: MethodResult, name: string): string {
  const v = r.outParams.get(name)?.value;
  if (typeof v !== 'string' || v.length === 0) throw new ChallengeError('BAD_ANSWER', `the answer lacks the output ${name}`);
  return v;
}

function list(r: MethodResult, name: string): string[] {
  const v = r.outParams.get(name)?.value;
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ChallengeError('BAD_ANSWER', `the output ${name} is not an array`);
  return v.map(String);
}

function base64(v: string, name: string, host: string): string {
  if (!/^[A-Za-z0-9+/=\s]+$/.test(v)) throw new ChallengeError('BAD_ANSWER', `host ${host}: the output ${name} is not base64`);
  return v;
}
