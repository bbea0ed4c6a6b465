// Isolation benchmarks: decision throughput, the cost of deciding a VM start on a busy host, and
// the replay of a policy update over a large host. Prints `name: value unit` lines.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { AuditLog, auditLogMigrations } from '../src/tvdc/acm/AuditLog.js';
import { CompiledPolicy } from '../src/tvdc/acm/CompiledPolicy.js';
import { DecisionEngine } from '../src/tvdc/acm/DecisionEngine.js';
import { ReferenceMonitor } from '../src/tvdc/acm/ReferenceMonitor.js';
import { IsolationService } from '../src/tvdc/hypervisor/IsolationService.js';
import type { Policy } from '../src/tvdc/policy/Policy.js';
import { planPolicyUpdate, type PolicyWorld } from '../src/tvdc/policy/planPolicyUpdate.js';
import { policyToJson } from '../src/tvdc/policy/policyJson.js';
import { migrate, openStore } from '../src/store/Store.js';

/** A datacenter-sized policy: `n` workloads, each a type, a VM label and a resource label; pairs of workloads conflict. */
function bigPolicy(n: number, version = '1.0', from?: string, rename = false): Policy {
  const types = Array.from({ length: n }, (_, i) => `w${i}`);
  return {
    header: { name: 'bench', version, ...(from ? { from: { name: 'bench', version: from } } : {}) },
    hasSte: true,
    hasChineseWall: true,
    steTypes: ['SystemManagement', ...types],
    cwTypes: ['SystemManagement', ...types],
    conflictSets: Array.from({ length: n / 2 }, (_, i) => ({ name: `c${i}`, types: [`w${2 * i}`, `w${2 * i + 1}`] })),
    bootstrap: 'SystemManagement',
    vmLabels: [
      { name: 'SystemManagement', ste: ['SystemManagement', ...types], cw: ['SystemManagement'] },
      ...types.map((t, i) => (rename && i % 10 === 0 ? { name: `${t}-vm2`, from: `${t}-vm`, ste: [t], cw: [t] } : { name: `${t}-vm`, ste: [t], cw: [t] })),
    ],
    resourceLabels: types.map((t, i) => (rename && i % 10 === 0 ? { name: `${t}-res2`, from: `${t}-res`, ste: t } : { name: `${t}-res`, ste: t })),
  };
}

function rate(label: string, iterations: number, fn: (i: number) => number): void {
  fn(1000); // warm up
  const t0 = performance.now();
  const sink = fn(iterations);
  const ms = performance.now() - t0;
  if (sink < 0) console.log('impossible');
  console.log(`${label}: ${Math.round((iterations / ms) * 1000)} decisions/s`);
}

const N = 64;
const compiled = new CompiledPolicy(bigPolicy(N));
const engine = new DecisionEngine(compiled);
const vmIds = Array.from({ length: N }, (_, i) => compiled.vmLabelId(`w${i}-vm`)!);
const resIds = Array.from({ length: N }, (_, i) => compiled.resourceLabelId(`w${i}-res`)!);
vmIds.push(compiled.vmLabelId('SystemManagement')!);
const M = vmIds.length;

rate('isolation.share', 20_000_000, (n) => {
  let yes = 0;
  for (let i = 0; i < n; i++) if (engine.canShare(vmIds[i % M]!, vmIds[(i * 7) % M]!)) yes++;
  return yes;
});
rate('isolation.access', 20_000_000, (n) => {
  let yes = 0;
  for (let i = 0; i < n; i++) if (engine.canAccess(vmIds[i % M]!, resIds[(i * 3) % N]!)) yes++;
  return yes;
});
rate('isolation.share_explained', 1_000_000, (n) => {
  let yes = 0;
  for (let i = 0; i < n; i++) if (engine.share(vmIds[i % M]!, vmIds[(i * 7) % M]!).permitted) yes++;
  return yes;
});

// A host already running 1,000 VMs (even workloads only, so nothing conflicts among them).
{
  const db = openStore(':memory:');
  migrate(db, auditLogMigrations);
  const monitor = new ReferenceMonitor(compiled, { name: 'h', label: 'SystemManagement' }, new AuditLog(db));
  for (let i = 0; i < 1000; i++) monitor.started({ name: `vm${i}`, label: `w${(i % (N / 2)) * 2}-vm` });
  const candidates = Array.from({ length: N }, (_, i) => ({ name: 'new', label: `w${i}-vm` }));
  let permitted = 0;
  for (let i = 0; i < 10_000; i++) if (monitor.decideStart(candidates[i % N]!).permitted) permitted++;
  const iters = 200_000;
  const t0 = performance.now();
  for (let i = 0; i < iters; i++) if (monitor.decideStart(candidates[i % N]!).permitted) permitted++;
  const us = ((performance.now() - t0) * 1000) / iters;
  console.log(`isolation.start_decision_1000_running: ${us.toFixed(3)} us`);
  if (permitted === 0) throw new Error('no start was permitted');
  db.close();
}

// Replaying a policy update over 10,000 VMs (2,000 running) and 50,000 label assignments.
{
  const vms: PolicyWorld['vms'] = [];
  const disks: PolicyWorld['disks'] = [];
  for (let i = 0; i < 10_000; i++) {
    const w = (i % (N / 2)) * 2; // even workloads: none conflict with each other
    const myDisks = [0, 1, 2, 3].map((k) => `d${i}-${k}`);
    for (const d of myDisks) disks.push({ name: d, label: `w${w}-res` });
    vms.push({ name: `vm${i}`, label: `w${w}-vm`, running: i % 5 === 0, disks: myDisks, segments: [], channels: [] });
  }
  const world: PolicyWorld = { host: { name: 'h', label: 'SystemManagement' }, vms, disks, segments: [] };
  const current = bigPolicy(N);
  const next = bigPolicy(N, '1.1', '1.0', true);
  planPolicyUpdate(current, next, world); // warm up
  const runs = 5;
  let best = Infinity;
  let relabeled = 0;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    const plan = planPolicyUpdate(current, next, world);
    best = Math.min(best, performance.now() - t0);
    if (!plan.ok) throw new Error(plan.conflicts[0]!.reason);
    relabeled = plan.relabel.length;
  }
  console.log(`isolation.update_replay_10k_vms_50k_labels: ${best.toFixed(1)} ms`);
  console.log(`isolation.update_replay_relabels: ${relabeled} labels`);

  // The same update end to end on a host store: parse, replay, relabel in one transaction, swap.
  const dir = mkdtempSync(join(tmpdir(), 'tvdc-bench-'));
  try {
    const svc = IsolationService.open({ db: join(dir, 'h.db'), hostName: 'h', initialPolicy: policyToJson(current) });
    svc.db.transaction(() => {
      const vm = svc.db.prepare('INSERT INTO iso_vms (name, label, state, created_at) VALUES (?, ?, ?, ?)');
      const disk = svc.db.prepare("INSERT INTO iso_disks (name, path, size_bytes, label, created_at) VALUES (?, ?, 0, ?, '')");
      const att = svc.db.prepare('INSERT INTO iso_vm_disks (vm, disk) VALUES (?, ?)');
      const now = new Date().toISOString();
      const diskLabel = new Map(disks.map((d) => [d.name, d.label]));
      for (const v of vms) {
        vm.run(v.name, v.label, v.running ? 'running' : 'stopped', now);
        for (const d of v.disks) {
          disk.run(d, `/nonexistent/${d}`, diskLabel.get(d) ?? null);
          att.run(v.name, d);
        }
      }
    })();
    svc.close();
    const host = IsolationService.open({ db: join(dir, 'h.db'), hostName: 'h' });
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const r = host.setPolicy(policyToJson(next));
    const cpu = process.cpuUsage(cpu0);
    const ms = performance.now() - t0;
    if (!r.ok) throw new Error(r.errors[0]);
    console.log(`isolation.update_end_to_end_10k_vms_50k_labels: ${ms.toFixed(1)} ms`);
    // CPU time of this process alone: what the wall time would be on an idle machine, minus fsync.
    console.log(`isolation.update_end_to_end_cpu: ${((cpu.user + cpu.system) / 1000).toFixed(1)} ms`);
    host.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
