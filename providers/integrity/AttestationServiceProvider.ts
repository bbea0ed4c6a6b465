// TVDc_AttestationService: GetQuote (a TPM 2.0 quote over the challenger's nonce, with PCR values
// and the measurement list, in formats any verifier can check), and GetAttestationKey /
// ActivateCredential, with which a challenger binds the AK to the certified EK before trusting it.
import { CimError, CimStatus } from '../../src/cim/CimError.js';
import type { CimInstance } from '../../src/cim/CimInstance.js';
import type { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import type { MethodResult, ParamValue, Provider, ProviderContext } from '../../src/wbem/Provider.js';
import { isValidNonce } from '../../src/tvdc/integrity/QuoteBundle.js';
import type { IntegrityTarget } from '../../src/tvdc/vtpm/HostIntegrity.js';
import { toCimError } from './IntegrityErrorMap.js';
import type { IntegrityModel } from './IntegrityModel.js';
import { CLASS } from './IntegrityPaths.js';
import { param } from './param.js';

/** PCRs quoted when PCRSelection is not given: the boot PCRs and IMA's PCR 10. */
const DEFAULT_PCRS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
const BASE64 = /^[A-Za-z0-9+/=\s]+$/;

function invalid(message: string): CimError {
  return new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, message);
}

function base64Param(params: ParamValue[], name: string): Buffer {
  const v = param(params, name);
  if (typeof v !== 'string' || v === '' || !BASE64.test(v)) throw invalid(`${name} must be base64`);
  return Buffer.from(v, 'base64');
}

export class AttestationServiceProvider implements Provider {
  constructor(private readonly model: IntegrityModel) {}

  enumerateInstances(): CimInstance[] {
    return [this.model.service(CLASS.attestationService)];
  }

  async invokeMethod(_ctx: ProviderContext, _path: CimObjectPath, method: string, params: ParamValue[]): Promise<MethodResult> {
    if (!['GetQuote', 'GetAttestationKey', 'ActivateCredential'].includes(method)) {
      throw new CimError(CimStatus.CIM_ERR_METHOD_NOT_FOUND, `${CLASS.attestationService} has no method ${method}`);
    }
    const hi = this.model.integrity;
    if (!hi) return { returnValue: 1 };
    const target = this.model.paths.target(param(params, 'Target') as CimObjectPath | null, 'Target');
    try {
      if (method === 'GetAttestationKey') {
        const k = hi.attestationKey(target);
        return {
          returnValue: 0,
          outParams: [
            { name: 'AKPublicArea', value: k.akPublicArea.toString('base64') },
            { name: 'AKPublic', value: k.akPublicPem },
            { name: 'EKCertificate', value: k.ekCertificatePem },
            { name: 'QuoteFamily', value: k.family },
            ...(k.akCertificatePem ? [{ name: 'AKCertificate', value: k.akCertificatePem }] : []),
          ],
        };
      }
      if (method === 'ActivateCredential') {
        const credential = await hi.activateCredential(target, base64Param(params, 'CredentialBlob'), base64Param(params, 'Secret'));
        return { returnValue: 0, outParams: [{ name: 'Credential', value: credential.toString('base64') }] };
      }
      return await this.getQuote(target, params);
    } catch (e) {
      throw toCimError(e);
    }
  }

  private async getQuote(target: IntegrityTarget, params: ParamValue[]): Promise<MethodResult> {
    const nonce = param(params, 'Nonce');
    // Checked here too so the message names the parameter as the client sent it.
    if (typeof nonce !== 'string' || !isValidNonce(nonce)) {
      throw invalid(`Nonce must be 8 to 64 bytes written as hex (16 to 128 hex digits); got ${typeof nonce === 'string' ? `${nonce.length} characters` : 'none'}`);
    }
    const sel = param(params, 'PCRSelection');
    let pcrs = DEFAULT_PCRS;
    if (Array.isArray(sel) && sel.length > 0) {
      pcrs = sel.map((v) => Number(v));
      if (pcrs.some((p) => !Number.isInteger(p) || p < 0 || p > 23)) throw invalid('PCRSelection must list PCR indexes 0-23');
    }
    const from = param(params, 'FromIndex');
    const fromIndex = from === null ? 0 : Number(from);
    if (!Number.isSafeInteger(fromIndex) || fromIndex < 0) throw invalid('FromIndex must be a non-negative integer');
    const b = await this.model.integrity!.getQuote(target, { nonce, pcrs, fromIndex });
    return {
      returnValue: 0,
      outParams: [
        { name: 'Quote', value: b.quote },
        { name: 'Signature', value: b.signature },
        { name: 'QuoteFamily', value: b.family ?? 'tpm2' },
        { name: 'AKPublic', value: b.akPublic },
        ...(b.akCertificate ? [{ name: 'AKCertificate', value: b.akCertificate }] : []),
        { name: 'EKCertificate', value: b.ekCertificate },
        { name: 'PCRValues', value: b.pcrValues },
        { name: 'LogEntries', value: b.logEntries },
        { name: 'LogIndex', value: BigInt(b.logIndex) },
      ],
    };
  }
}
