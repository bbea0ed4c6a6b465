// TVDc_PCR, TVDc_MeasurementLog and TVDc_MeasurementEntry. Entries are streamed page by page from
// the store (an AsyncIterable), so a pull enumeration of a long measurement list never holds it
// all in memory; GetInstance reads the one entry or PCR an InstanceID names.
import { CimError, CimStatus } from '../../src/cim/CimError.js';
import type { CimInstance } from '../../src/cim/CimInstance.js';
import type { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import type { Provider } from '../../src/wbem/Provider.js';
import type { IntegrityTarget } from '../../src/tvdc/vtpm/HostIntegrity.js';
import { asCim } from './IntegrityErrorMap.js';
import type { IntegrityModel } from './IntegrityModel.js';

/** Entries read from the store per step of an enumeration. */
const PAGE = 500;

function notFound(path: CimObjectPath): CimError {
  return new CimError(CimStatus.CIM_ERR_NOT_FOUND, `no ${path.className} ${String(path.key('InstanceID') ?? '')}`);
}

/** `TVDc:vm:<name>:<rest>` or `TVDc:host:<host>:<rest>` -> the target and the rest. */
function parseId(model: IntegrityModel, path: CimObjectPath): { target: IntegrityTarget; rest: string[] } {
  const id = path.key('InstanceID');
  const m = typeof id === 'string' ? /^TVDc:(vm|host):([^:]+):(.*)$/.exec(id) : null;
  if (!m) throw notFound(path);
  if (m[1] === 'host' && m[2] !== model.hostName) throw notFound(path);
  const target: IntegrityTarget = m[1] === 'host' ? { kind: 'host' } : { kind: 'vm', name: m[2]! };
  if (!model.targets().some((t) => t.kind === target.kind && (t.kind === 'host' || (target.kind === 'vm' && t.name === target.name)))) throw notFound(path);
  return { target, rest: m[3]!.split(':') };
}

export function pcrProvider(model: IntegrityModel): Provider {
  return {
    enumerateInstances: async function* () {
      for (const t of model.targets()) yield* await asCim(() => model.pcrs(t));
    },
    getInstance: async (_ctx, path) => {
      const { target } = parseId(model, path);
      const id = path.key('InstanceID');
      const found = (await asCim(() => model.pcrs(target))).find((p) => p.get('InstanceID') === id);
      if (!found) throw notFound(path);
      return found;
    },
  };
}

export function measurementLogProvider(model: IntegrityModel): Provider {
  return {
    enumerateInstances: () => asCim(() => model.logs()),
    getInstance: (_ctx, path) => {
      const { target, rest } = parseId(model, path);
      if (rest.join(':') !== 'ima') throw notFound(path);
      return model.log(target);
    },
  };
}

export function measurementEntryProvider(model: IntegrityModel): Provider {
  return {
    enumerateInstances: async function* (): AsyncIterable<CimInstance> {
      const hi = model.integrity;
      if (!hi) return;
      for (const t of model.targets()) {
        for (let from = 0; ; from += PAGE) {
          let page;
          try {
            page = hi.log(t, from, PAGE);
          } catch {
            break; // the TPM went away (VM destroyed) while the enumeration ran
          }
          for (const e of page) yield model.entry(t, e);
          if (page.length < PAGE) break;
        }
      }
    },
    getInstance: (_ctx, path) => {
      const { target, rest } = parseId(model, path);
      if (rest.length !== 2 || rest[0] !== 'ima' || !/^\d+$/.test(rest[1]!)) throw notFound(path);
      const e = model.integrity!.log(target, Number(rest[1]), 1)[0];
      if (!e) throw notFound(path);
      return model.entry(target, e);
    },
  };
}
