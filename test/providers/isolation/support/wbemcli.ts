// Drives a host with Debian's real wbemcli, and writes its arguments: object paths of the
// isolation classes, and string parameters escaped the way wbemcli needs them (it copies a value
// into the XML request as it is and splits parameters at every comma).
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
export const POLICY_1_0 = join(ROOT, 'fixtures', 'policies', 'paper-ma-su.xml');
export const POLICY_1_1 = join(ROOT, 'fixtures', 'policies', 'paper-ma-su-1.1.xml');

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

export function wbemcli(args: string[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile('wbemcli', args, { timeout: 20_000, encoding: 'utf8', maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err && typeof (err as { code?: unknown }).code !== 'number') return reject(err);
      resolve({ stdout, stderr, code: err ? Number((err as { code: number }).code) : 0 });
    });
  });
}

/** Text as a wbemcli string parameter value: XML-escaped, commas and line ends as character references. */
export function wbemcliString(text: string): string {
  return text
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/,/g, '&#44;')
    .replace(/\r?\n/g, '&#10;');
}

export function policyParam(file: string): string {
  return `SetPolicy.PolicyXML="${wbemcliString(readFileSync(file, 'utf8'))}"`;
}

/** DefineSystem's SystemSettings: an embedded TVDc_VirtualSystemSettingData. */
export function defineParam(name: string, label?: string): string {
  const prop = (n: string, v: string): string => `<PROPERTY NAME="${n}" TYPE="string"><VALUE>${v}</VALUE></PROPERTY>`;
  const xml = `<INSTANCE CLASSNAME="TVDc_VirtualSystemSettingData">${prop('ElementName', name)}${label === undefined ? '' : prop('SecurityLabel', label)}</INSTANCE>`;
  return `DefineSystem.SystemSettings="${wbemcliString(xml)}"`;
}

/** AddResourceSettings: the VM's settings and one embedded disk allocation (ResourceType 31). */
export function addDiskParam(vm: string, disk: string): string {
  const xml = `<INSTANCE CLASSNAME="TVDc_ResourceAllocationSettingData"><PROPERTY NAME="ResourceType" TYPE="uint16"><VALUE>31</VALUE></PROPERTY>` +
    `<PROPERTY.ARRAY NAME="HostResource" TYPE="string"><VALUE.ARRAY><VALUE>${disk}</VALUE></VALUE.ARRAY></PROPERTY.ARRAY></INSTANCE>`;
  return `AddResourceSettings.ResourceSettings="${wbemcliString(xml)}",AffectedConfiguration=TVDc_VirtualSystemSettingData.InstanceID="TVDc:${vm}"`;
}

/** Model paths (as REF parameter values) and wbemcli URLs of one host's instances. */
export class HostPaths {
  constructor(
    readonly origin: string,
    readonly host: string,
  ) {}

  url(path: string, ns = 'root/tvdc'): string {
    return `${this.origin}/${ns}:${path}`;
  }

  service(cls: 'TVDc_SecurityService' | 'TVDc_VirtualSystemManagementService' | 'TVDc_VirtualSystemMigrationService'): string {
    const name = cls.replace(/^TVDc_/, '');
    return `${cls}.CreationClassName="${cls}",Name="${name}",SystemCreationClassName="TVDc_HostSystem",SystemName="${this.host}"`;
  }

  vm(name: string): string {
    return `TVDc_ComputerSystem.CreationClassName="TVDc_ComputerSystem",Name="${name}"`;
  }

  hostSystem(): string {
    return `TVDc_HostSystem.CreationClassName="TVDc_HostSystem",Name="${this.host}"`;
  }

  disk(name: string): string {
    return `TVDc_LogicalDisk.SystemCreationClassName="TVDc_HostSystem",SystemName="${this.host}",CreationClassName="TVDc_LogicalDisk",DeviceID="${name}"`;
  }

  segment(name: string): string {
    return `TVDc_NetworkSegment.InstanceID="TVDc:segment:${name}"`;
  }
}

/** `Name (type): value` out parameters of one `wbemcli cm` line, and its return value. */
export function methodOutput(stdout: string): { returnValue: number; out: Record<string, string> } {
  // One line, unless an output value has line breaks (a PEM): then the answer starts at the
  // method's name, the first ` Name: code` of the output.
  const line = stdout.trim().split('\n').pop() ?? '';
  const m = / (\w+): (\d+)(?:, (.*))?$/.exec(line) ?? / (\w+): (\d+)(?:, ([\s\S]*))?$/.exec(stdout.trim());
  if (!m) throw new Error(`not a wbemcli cm answer: ${stdout}`);
  const out: Record<string, string> = {};
  for (const part of (m[3] ?? '').split(/, (?=\w+ \(\w+\): )/)) {
    const p = /^(\w+) \(\w+\): (.*)$/s.exec(part);
    if (p) out[p[1]!] = p[2]!;
  }
  return { returnValue: Number(m[2]), out };
}

/** `wbemcli cm` of `call` on `target` of host `p`, which must print nothing on stderr: its answer. */
export async function wbemcliCall(p: HostPaths, target: string, call: string): Promise<{ returnValue: number; out: Record<string, string> }> {
  const r = await wbemcli(['cm', p.url(target), call]);
  expect(r.stderr, r.stderr).to.equal('');
  return methodOutput(r.stdout);
}

/** The paper's policy 1.0, then 1.1 (which adds the MA-SU conflict set), set and activated on host `p`. */
export async function setPaperPolicies(p: HostPaths): Promise<void> {
  for (const f of [POLICY_1_0, POLICY_1_1]) expect((await wbemcliCall(p, p.service('TVDc_SecurityService'), policyParam(f))).returnValue, `SetPolicy ${f}`).to.equal(0);
}

/** VM `vm` defined with `label` on host `p` and started. */
export async function runVm(p: HostPaths, vm: string, label: string): Promise<void> {
  expect((await wbemcliCall(p, p.service('TVDc_VirtualSystemManagementService'), defineParam(vm, label))).returnValue).to.equal(0);
  expect((await wbemcliCall(p, p.vm(vm), 'RequestStateChange.RequestedState=2')).returnValue).to.equal(0);
}
