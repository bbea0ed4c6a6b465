// TVDc_VirtualSystemMigrationService (DSP1081). The source half, MigrateVirtualSystemToHost, hands
// the VM out of this host's hypervisor and calls AcceptMigration on the destination tvdc-host over
// CIM-XML (the project's own client); the destination decides under its own policy (run on host,
// Chinese Wall, disks, segments). When it refuses, or cannot be reached, the VM is taken back and
// keeps running here.
import { CimError, CimStatus } from '../../src/cim/CimError.js';
import type { CimInstance } from '../../src/cim/CimInstance.js';
import type { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import type { MethodResult, ParamValue, Provider, ProviderContext } from '../../src/wbem/Provider.js';
import { TvdcError } from '../../src/tvdc/TvdcError.js';
import type { MigrationTicket } from '../../src/tvdc/hypervisor/VirtualMachine.js';
import { WbemConnection } from '../../client/cim/index.js';
import type { IsolationModel } from './IsolationModel.js';
import { CLASS } from './IsolationPaths.js';
import { formatLabel, parseLabel } from './LabelText.js';
import { failureResult, type ReturnCodes } from './TvdcErrorMap.js';
import { methodParam } from './methodParam.js';

/** DSP1081 codes: 2 Failed (refused by the destination), 4 Invalid Parameter, 5 Invalid State. */
const CODES: ReturnCodes = { ACCESS_DENIED: 2, INVALID_STATE: 5, INVALID_ARGUMENT: 4, LABEL_UNKNOWN: 2, ALREADY_EXISTS: 5, IO_FAILED: 2, VTPM_FAILED: 2 };

/** `host`, `host:port`, or an http(s) URL (credentials allowed) -> the destination's URL. */
export function destinationUrl(text: string): string {
  const t = text.trim();
  if (t === '') throw new TvdcError('INVALID_ARGUMENT', 'DestinationHost is empty');
  const url = /^https?:\/\//i.test(t) ? t : `http://${t}`;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TvdcError('INVALID_ARGUMENT', `DestinationHost '${t}' is not host[:port] or an http(s) URL`);
  }
  if (u.pathname !== '/' && u.pathname !== '') throw new TvdcError('INVALID_ARGUMENT', `DestinationHost '${t}' has a path; give host[:port] or http(s)://host:port`);
  return url;
}

export class MigrationServiceProvider implements Provider {
  constructor(
    private readonly model: IsolationModel,
    /** How long to wait for the destination, per request. */
    private readonly timeoutMs = 30_000,
  ) {}

  enumerateInstances(): CimInstance[] {
    return [this.model.serviceInstance(CLASS.migrationService)];
  }

  async invokeMethod(_ctx: ProviderContext, _path: CimObjectPath, method: string, params: ParamValue[]): Promise<MethodResult> {
    try {
      switch (method) {
        case 'MigrateVirtualSystemToHost': return await this.migrateOut(params);
        case 'AcceptMigration': return await this.acceptMigration(params);
        default: return { returnValue: 1, outParams: [{ name: 'Reason', value: `${method} is not supported; use MigrateVirtualSystemToHost` }] };
      }
    } catch (e) {
      return failureResult(e, CODES);
    }
  }

  private async migrateOut(params: ParamValue[]): Promise<MethodResult> {
    const name = this.model.paths.element(methodParam(params, 'ComputerSystem') as CimObjectPath | null, 'ComputerSystem', ['vm']).name;
    const dest = methodParam(params, 'DestinationHost');
    if (typeof dest !== 'string') throw new TvdcError('INVALID_ARGUMENT', 'DestinationHost is required (host[:port] or http(s)://host:port of a tvdc host agent)');
    const url = destinationUrl(dest);
    // Messages name the destination without the credentials a URL may carry.
    const shown = new URL(url).origin;
    const service = this.model.service;
    const vm = service.getVm(name);
    if (!vm) throw new CimError(CimStatus.CIM_ERR_NOT_FOUND, `no VM '${name}' on host '${this.model.hostName}'`);
    if (vm.state !== 'running') throw new TvdcError('INVALID_STATE', `VM '${name}' is ${vm.state}; only a running VM migrates`);
    const conn = new WbemConnection(url, { namespace: 'root/tvdc', timeouts: { connect: this.timeoutMs, headers: this.timeoutMs, body: this.timeoutMs }, retries: 0 });
    try {
      // Find the destination's service first: a wrong address fails before the VM moves at all.
      const target = await this.destinationService(conn, shown);
      const ticket = await service.migrateOut(name);
      let refusal: string | undefined;
      try {
        const r = await conn.invokeMethod(target, 'AcceptMigration', {
          Name: ticket.vm,
          SecurityLabel: formatLabel(this.model.policyName(), ticket.label) ?? '',
          SourceHost: ticket.fromHost,
          Disks: { type: 'string', isArray: true, value: ticket.disks },
          Segments: { type: 'string', isArray: true, value: ticket.segments },
          Extensions: JSON.stringify(ticket.extensions),
        });
        if (Number(r.returnValue) !== 0) refusal = `host at ${shown} refused VM '${name}' (AcceptMigration returned ${String(r.returnValue)}): ${String(r.outParams.get('Reason')?.value ?? 'no reason given')}`;
      } catch (e) {
        refusal = `migration of VM '${name}' to ${shown} failed: ${e instanceof CimError ? e.description : (e as Error).message}`;
      }
      if (refusal !== undefined) {
        await this.takeBack(ticket);
        return { returnValue: 2, outParams: [{ name: 'Reason', value: `${refusal}; the VM keeps running on '${this.model.hostName}'` }] };
      }
      return { returnValue: 0 };
    } finally {
      await conn.close();
    }
  }

  private async destinationService(conn: WbemConnection, url: string): Promise<CimObjectPath> {
    try {
      for await (const p of conn.enumerateInstanceNames(CLASS.migrationService)) return p;
    } catch (e) {
      throw new TvdcError('INVALID_ARGUMENT', `DestinationHost ${url} is not reachable as a tvdc host agent: ${e instanceof CimError ? e.description : (e as Error).message}`);
    }
    throw new TvdcError('INVALID_ARGUMENT', `DestinationHost ${url} has no ${CLASS.migrationService}`);
  }

  /** The destination did not take the VM: it runs here again, through the usual checks. */
  private async takeBack(ticket: MigrationTicket): Promise<void> {
    await this.model.service.migrateIn(ticket);
  }

  private async acceptMigration(params: ParamValue[]): Promise<MethodResult> {
    const name = methodParam(params, 'Name');
    if (typeof name !== 'string' || name === '') throw new TvdcError('INVALID_ARGUMENT', 'Name (the VM name) is required');
    const labelText = methodParam(params, 'SecurityLabel');
    const label = typeof labelText === 'string' && labelText.trim() !== '' ? parseLabel(labelText, this.model.policyName()) : undefined;
    const strings = (n: string): string[] => {
      const v = methodParam(params, n);
      return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
    };
    let extensions: Record<string, unknown> = {};
    const ext = methodParam(params, 'Extensions');
    if (typeof ext === 'string' && ext.trim() !== '') {
      try {
        const parsed: unknown = JSON.parse(ext);
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
        extensions = parsed as Record<string, unknown>;
      } catch (e) {
        throw new TvdcError('INVALID_ARGUMENT', `Extensions is not a JSON object: ${(e as Error).message}`);
      }
    }
    const source = methodParam(params, 'SourceHost');
    const ticket: MigrationTicket = { vm: name, label, fromHost: typeof source === 'string' ? source : '', disks: strings('Disks'), segments: strings('Segments'), extensions };
    const vm = await this.model.service.migrateIn(ticket);
    return { returnValue: 0, outParams: [{ name: 'NewComputerSystem', value: this.model.paths.vm(vm.name) }] };
  }
}
