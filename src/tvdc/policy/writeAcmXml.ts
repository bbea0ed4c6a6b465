// Writes the policy model as a Xen ACM policy document that security_policy.xsd accepts and that
// parseAcmXml reads back to the same model.
import type { Policy, PolicyComponent } from './Policy.js';
import { ACM_NAMESPACE } from './parseAcmXml.js';

export function writeAcmXml(p: Policy): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const line = (depth: number, s: string): void => {
    out.push('  '.repeat(depth) + s);
  };
  const leaf = (depth: number, name: string, value: string, attrs = ''): void => line(depth, `<${name}${attrs}>${esc(value)}</${name}>`);
  const typeList = (depth: number, name: string, types: string[]): void => {
    line(depth, `<${name}>`);
    for (const t of types) leaf(depth + 1, 'Type', t);
    line(depth, `</${name}>`);
  };
  const prio = (c: PolicyComponent): string => (p.primary === c ? ' priority="PrimaryPolicyComponent"' : '');
  const from = (f: string | undefined): string => (f === undefined ? '' : ` from="${esc(f)}"`);

  line(0, `<SecurityPolicyDefinition xmlns="${ACM_NAMESPACE}">`);
  const h = p.header;
  line(1, '<PolicyHeader>');
  leaf(2, 'PolicyName', h.name);
  if (h.url !== undefined) leaf(2, 'PolicyUrl', h.url);
  if (h.reference !== undefined) leaf(2, 'Reference', h.reference);
  if (h.date !== undefined) leaf(2, 'Date', h.date);
  if (h.namespaceUrl !== undefined) leaf(2, 'NameSpaceUrl', h.namespaceUrl);
  leaf(2, 'Version', h.version);
  if (h.from) {
    line(2, '<FromPolicy>');
    leaf(3, 'PolicyName', h.from.name);
    leaf(3, 'Version', h.from.version);
    line(2, '</FromPolicy>');
  }
  line(1, '</PolicyHeader>');
  if (p.hasSte) {
    line(1, `<SimpleTypeEnforcement${prio('ste')}>`);
    typeList(2, 'SimpleTypeEnforcementTypes', p.steTypes);
    line(1, '</SimpleTypeEnforcement>');
  }
  if (p.hasChineseWall) {
    line(1, `<ChineseWall${prio('chwall')}>`);
    typeList(2, 'ChineseWallTypes', p.cwTypes);
    if (p.conflictSets.length) {
      line(2, '<ConflictSets>');
      for (const cs of p.conflictSets) {
        line(3, `<Conflict name="${esc(cs.name)}">`);
        for (const t of cs.types) leaf(4, 'Type', t);
        line(3, '</Conflict>');
      }
      line(2, '</ConflictSets>');
    }
    line(1, '</ChineseWall>');
  }
  line(1, '<SecurityLabelTemplate>');
  if (p.vmLabels.length) {
    line(2, `<SubjectLabels bootstrap="${esc(p.bootstrap)}">`);
    for (const l of p.vmLabels) {
      line(3, '<VirtualMachineLabel>');
      leaf(4, 'Name', l.name, from(l.from));
      // The schema wants at least one Type in a list, so an empty list is left out entirely.
      if (l.ste.length) typeList(4, 'SimpleTypeEnforcementTypes', l.ste);
      if (l.cw.length) typeList(4, 'ChineseWallTypes', l.cw);
      line(3, '</VirtualMachineLabel>');
    }
    line(2, '</SubjectLabels>');
  }
  if (p.resourceLabels.length) {
    line(2, '<ObjectLabels>');
    for (const l of p.resourceLabels) {
      line(3, '<ResourceLabel>');
      leaf(4, 'Name', l.name, from(l.from));
      typeList(4, 'SimpleTypeEnforcementTypes', [l.ste]);
      line(3, '</ResourceLabel>');
    }
    line(2, '</ObjectLabels>');
  }
  line(1, '</SecurityLabelTemplate>');
  line(0, '</SecurityPolicyDefinition>');
  return out.join('\n') + '\n';
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
