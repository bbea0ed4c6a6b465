// TVDc_LogicalDisk: the host's labeled virtual disks. CreateInstance registers one on a new
// backing file inside the host's disk directory; DeleteInstance removes it and its file (wiped
// first when used); labels go through TVDc_SecurityService.AssignLabel, wiping through Sanitize.
import { CimError, CimStatus } from '../../src/cim/CimError.js';
import type { CimInstance } from '../../src/cim/CimInstance.js';
import type { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import type { Provider, ProviderContext } from '../../src/wbem/Provider.js';
import type { IsolationModel } from './IsolationModel.js';
import { asCim } from './TvdcErrorMap.js';

/** Size of a disk created without NumberOfBlocks: 1 MiB. */
const DEFAULT_SIZE = 1 << 20;

export class LogicalDiskProvider implements Provider {
  constructor(private readonly model: IsolationModel) {}

  enumerateInstances(): CimInstance[] {
    return this.model.service.listDisks().map((d) => this.model.disk(d));
  }

  createInstance(_ctx: ProviderContext, inst: CimInstance): Promise<CimObjectPath> {
    return asCim(() => {
      const text = (n: string): string | undefined => {
        const v = inst.get(n);
        return typeof v === 'string' && v !== '' ? v : undefined;
      };
      const name = text('DeviceID');
      if (!name) throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, 'DeviceID (the disk name) is required');
      const system = text('SystemName');
      if (system !== undefined && system !== this.model.hostName)
        throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `SystemName '${system}' is not this host ('${this.model.hostName}')`);
      const blocks = inst.get('NumberOfBlocks');
      const blockSize = inst.get('BlockSize');
      let size = DEFAULT_SIZE;
      if (blocks !== null && blocks !== undefined) size = Number(blocks) * Number(blockSize ?? 512n);
      if (!Number.isSafeInteger(size) || size < 0) throw new CimError(CimStatus.CIM_ERR_INVALID_PARAMETER, `NumberOfBlocks x BlockSize (${size}) is not a usable disk size`);
      const d = this.model.service.createDisk({ name, path: text('ImagePath') ?? `${name}.img`, sizeBytes: size });
      return this.model.paths.disk(d.name);
    });
  }

  deleteInstance(_ctx: ProviderContext, path: CimObjectPath): Promise<void> {
    return asCim(() => this.model.service.deleteDisk(this.model.paths.element(path, 'the instance', ['disk']).name));
  }
}
