// The associations that let DMTF-profile clients walk the integrity model: VM -> vTPM, host -> TPM,
// TPM -> PCRs, VM or host -> measurement log -> entries, host -> services -> the TPMs they serve.
// Computed from the domain on each call, so a link never outlives what it links.
import type { CimInstance } from '../../src/cim/CimInstance.js';
import type { Results } from '../../src/wbem/Provider.js';
import type { IntegrityModel } from './IntegrityModel.js';
import { PCR_INDEXES, banksOf } from './IntegrityModel.js';
import { CLASS } from './IntegrityPaths.js';

export interface IntegrityAssociationPart {
  className: string;
  links(): Results<CimInstance>;
}

/** ServiceAffectsElement.ElementEffects 5 Manages. */
const MANAGES = 5;

export function integrityAssociations(model: IntegrityModel): IntegrityAssociationPart[] {
  const p = model.paths;
  const make = (cls: string, values: Record<string, unknown>): CimInstance => model.cim.instance(cls, values);
  const vms = () => model.targets().filter((t) => t.kind === 'vm');
  return [
    {
      className: CLASS.systemVtpm,
      links: () => vms().map((t) => make(CLASS.systemVtpm, { GroupComponent: p.system(t), PartComponent: p.tpm(t) })),
    },
    {
      // The isolation side links each VSSD to its disk and NIC RASDs; this adds the vTPM's.
      className: CLASS.vssdComponent,
      links: () => vms().map((t) => make(CLASS.vssdComponent, { GroupComponent: p.vssd(t.name), PartComponent: p.vtpmRasd(t.name) })),
    },
    {
      className: CLASS.systemDevice,
      links: () => (model.integrity ? [make(CLASS.systemDevice, { GroupComponent: p.host(), PartComponent: p.tpm({ kind: 'host' }) })] : []),
    },
    {
      // Only a running TPM has PCR values to show.
      className: CLASS.concreteComponent,
      links: () => model.targets()
        .filter((t) => model.integrity!.info(t).running)
        .flatMap((t) => banksOf(model.integrity!.info(t)).flatMap((b) => PCR_INDEXES.map((i) => make(CLASS.concreteComponent, { GroupComponent: p.tpm(t), PartComponent: p.pcr(t, b.name, i) })))),
    },
    {
      className: CLASS.useOfLog,
      links: () => model.targets().map((t) => make(CLASS.useOfLog, { Antecedent: p.log(t), Dependent: p.system(t), RecordedData: 'IMA measurements' })),
    },
    {
      className: CLASS.logManagesRecord,
      links: async function* () {
        const hi = model.integrity;
        if (!hi) return;
        for (const t of model.targets()) {
          const log = p.log(t);
          const count = hi.logCount(t);
          for (let i = 0; i < count; i++) yield make(CLASS.logManagesRecord, { Log: log, Record: p.entry(t, i) });
        }
      },
    },
    {
      className: CLASS.hostedService,
      links: () => [CLASS.vtpmService, CLASS.attestationService].map((s) => make(CLASS.hostedService, { Antecedent: p.host(), Dependent: p.service(s) })),
    },
    {
      className: CLASS.serviceAffectsElement,
      links: () => [
        ...vms().map((t) => make(CLASS.serviceAffectsElement, { AffectingElement: p.service(CLASS.vtpmService), AffectedElement: p.tpm(t), ElementEffects: [MANAGES] })),
        ...model.targets().map((t) => make(CLASS.serviceAffectsElement, { AffectingElement: p.service(CLASS.attestationService), AffectedElement: p.tpm(t), ElementEffects: [MANAGES] })),
      ],
    },
  ];
}
