// TVDc_VTPMManagementService: CreateVTPM, DeleteVTPM, StartVTPM, StopVTPM, ExportVTPMState and
// ImportVTPMState (sealed packages between two hosts' migration keys), PrepareVTPMMigrationOut and
// PrepareVTPMMigrationIn (optional: they pin the keys a VM migration seals to and verifies with,
// which MigrateVirtualSystemToHost otherwise takes from the hosts for each migration), ExecuteFile (the
// simulated VM runs a program of its image, which the host measures) and ImportHostMeasurementLog
// (the management VM's real IMA list into the host TPM). Each maps its REF parameters onto the
// domain and its failures onto return codes.
import { CimError, CimStatus } from '../../src/cim/CimError.js';
import type { CimInstance } from '../../src/cim/CimInstance.js';
import type { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import type { MethodResult, ParamValue, Provider, ProviderContext, Role } from '../../src/wbem/Provider.js';
import { TvdcError } from '../../src/tvdc/TvdcError.js';
import type { TpmFamily } from '../../src/tvdc/vtpm/TpmFamily.js';
import { vtpmFailure } from './IntegrityErrorMap.js';
import type { IntegrityModel } from './IntegrityModel.js';
import { CLASS } from './IntegrityPaths.js';
import { param } from './param.js';

/** CreateVTPM's TPMSpecMajorVersion: 2 (or absent) a TPM 2.0, 1 a TPM 1.2. */
function familyParam(params: ParamValue[]): TpmFamily {
  const v = param(params, 'TPMSpecMajorVersion');
  if (v === null) return 'tpm2';
  const major = Number(v);
  if (major === 2) return 'tpm2';
  if (major === 1) return 'tpm12';
  throw new TvdcError('INVALID_ARGUMENT', `TPMSpecMajorVersion must be 2 (TPM 2.0) or 1 (TPM 1.2), not ${String(v)}`);
}

const NOT_SUPPORTED = { returnValue: 1, outParams: [{ name: 'Reason', value: 'vTPMs are off on this host (tvdc-host --vtpm off)' }] };

/**
 * Methods that move, clone, power or remove a VM's vTPM, or decide the host's own measurement
 * list: an export hands out the whole TPM (EK private key and seeds) sealed to a key the caller
 * names, an import takes one signed by a key the caller names. The management server calls none
 * of them (it migrates with MigrateVirtualSystemToHost), so its `write` login does not get them.
 */
const ADMIN_METHODS = ['CreateVTPM', 'DeleteVTPM', 'StartVTPM', 'StopVTPM', 'ExportVTPMState', 'ImportVTPMState', 'PrepareVTPMMigrationOut', 'PrepareVTPMMigrationIn', 'ImportHostMeasurementLog'] as const;

export class VtpmManagementServiceProvider implements Provider {
  readonly methodRoles: Readonly<Record<string, Role>> = Object.fromEntries(ADMIN_METHODS.map((m) => [m, 'admin' as const]));

  constructor(private readonly model: IntegrityModel) {}

  enumerateInstances(): CimInstance[] {
    return [this.model.service(CLASS.vtpmService)];
  }

  async invokeMethod(_ctx: ProviderContext, _path: CimObjectPath, method: string, params: ParamValue[]): Promise<MethodResult> {
    const hi = this.model.integrity;
    const paths = this.model.paths;
    const known = ['CreateVTPM', 'DeleteVTPM', 'StartVTPM', 'StopVTPM', 'ExportVTPMState', 'ImportVTPMState', 'PrepareVTPMMigrationOut', 'PrepareVTPMMigrationIn', 'ExecuteFile', 'ImportHostMeasurementLog'];
    if (!known.includes(method)) throw new CimError(CimStatus.CIM_ERR_METHOD_NOT_FOUND, `${CLASS.vtpmService} has no method ${method}`);
    if (!hi) return NOT_SUPPORTED;
    try {
      switch (method) {
        case 'CreateVTPM': {
          const vm = paths.vmTarget(param(params, 'System') as CimObjectPath | null, 'System');
          await hi.createVtpm(vm, { family: familyParam(params) });
          return { returnValue: 0, outParams: [{ name: 'VTPM', value: paths.tpm({ kind: 'vm', name: vm }) }] };
        }
        case 'DeleteVTPM': {
          await hi.deleteVtpm(paths.vmTarget(param(params, 'VTPM') as CimObjectPath | null, 'VTPM'));
          return { returnValue: 0 };
        }
        case 'StartVTPM': {
          const vm = paths.vmTarget(param(params, 'VTPM') as CimObjectPath | null, 'VTPM');
          if (hi.info({ kind: 'vm', name: vm }).running) throw new TvdcError('INVALID_STATE', `the vTPM of '${vm}' is already running`);
          await hi.startVtpm(vm);
          return { returnValue: 0 };
        }
        case 'StopVTPM': {
          await hi.stopVtpm(paths.vmTarget(param(params, 'VTPM') as CimObjectPath | null, 'VTPM'));
          return { returnValue: 0 };
        }
        case 'ExportVTPMState': {
          const vm = paths.vmTarget(param(params, 'VTPM') as CimObjectPath | null, 'VTPM');
          const state = await hi.exportState(vm, keyParam(params, 'DestinationMigrationKey', 'destination'));
          return { returnValue: 0, outParams: [{ name: 'State', value: state.toString('base64') }] };
        }
        case 'ImportVTPMState': {
          const vm = paths.vmTarget(param(params, 'System') as CimObjectPath | null, 'System');
          const state = param(params, 'State');
          if (typeof state !== 'string' || !/^[A-Za-z0-9+/=\s]+$/.test(state)) throw new TvdcError('INVALID_ARGUMENT', 'State must be the base64 text ExportVTPMState returned');
          await hi.importState(vm, Buffer.from(state, 'base64'), keyParam(params, 'SourceMigrationKey', 'source'));
          return { returnValue: 0, outParams: [{ name: 'VTPM', value: paths.tpm({ kind: 'vm', name: vm }) }] };
        }
        case 'PrepareVTPMMigrationOut': {
          const vm = paths.vmTarget(param(params, 'System') as CimObjectPath | null, 'System');
          hi.prepareMigrationOut(vm, keyParam(params, 'DestinationMigrationKey', 'destination'));
          return { returnValue: 0 };
        }
        case 'PrepareVTPMMigrationIn': {
          // By name: the VM is not defined on this host until it arrives.
          const name = param(params, 'Name');
          if (typeof name !== 'string' || name === '') throw new TvdcError('INVALID_ARGUMENT', 'Name (the arriving VM) is required');
          hi.prepareMigrationIn(name, keyParam(params, 'SourceMigrationKey', 'source'));
          return { returnValue: 0 };
        }
        case 'ImportHostMeasurementLog': {
          const log = param(params, 'Log');
          if (typeof log !== 'string') throw new TvdcError('INVALID_ARGUMENT', 'Log (the ascii IMA measurement list) is required');
          const count = await hi.importHostLog(log);
          return { returnValue: 0, outParams: [{ name: 'Count', value: BigInt(count) }] };
        }
        default: {
          const vm = paths.vmTarget(param(params, 'System') as CimObjectPath | null, 'System');
          const path = param(params, 'Path');
          if (typeof path !== 'string' || !path.startsWith('/')) throw new TvdcError('INVALID_ARGUMENT', 'Path must be an absolute path inside the VM image');
          const e = await hi.executeFile(vm, path);
          return { returnValue: 0, outParams: [{ name: 'LogIndex', value: BigInt(e.index) }] };
        }
      }
    } catch (e) {
      return vtpmFailure(e);
    }
  }
}

/** A peer host's MigrationPublicKey passed as a method parameter: required, PEM text. */
function keyParam(params: ParamValue[], name: string, role: 'source' | 'destination'): string {
  const v = param(params, name);
  if (typeof v !== 'string' || v.trim() === '') throw new TvdcError('INVALID_ARGUMENT', `${name} (the ${role} host's MigrationPublicKey, PEM) is required`);
  return v;
}
