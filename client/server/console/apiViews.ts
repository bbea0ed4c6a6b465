// The shapes of the JSON API answers the console renders (docs/management.md), as the console
// reads them. The console takes them from the API's own handlers in this process
// (ApiRouter.read), so these only name what the routes already return; nothing here is queried.
import type { TvdcEvent } from '../../../src/tvdc/management/EventLog.js';
import type { AuditEntry } from '../AuditTrail.js';
import type { DeploymentView, PolicyId } from '../DeploymentState.js';
import type { IsolationView } from '../HostCim.js';
import type { HostRecord } from '../ServerContext.js';
import type { Violation } from '../ViolationStore.js';

/** `GET /api/groups` */
export interface GroupSummary {
  name: string;
  hosts: string[];
  policy: PolicyId | null;
  deployed: number;
}

export interface ApiErrorBody {
  code: string;
  message: string;
}

/** One host's deployment, as `GET /api/groups/:group/policy` reports it. */
export interface HostDeployment extends DeploymentView {
  host: string;
  reachable: boolean;
  error?: ApiErrorBody;
}

/** `GET /api/groups/:group/policy` (only what the console shows). */
export interface GroupPolicyView extends PolicyId {
  deployments: HostDeployment[];
}

export interface HostDetail extends IsolationView {
  name: string;
  url: string;
  deployment: DeploymentView;
  reachable: boolean;
  error?: ApiErrorBody;
}

/** `GET /api/groups/:group` */
export interface GroupDetail {
  name: string;
  policy: (PolicyId & { updatedAt: string; updatedBy: string }) | null;
  administrators: string[];
  hosts: HostDetail[];
}

/** `GET /api/groups/:group/labels` */
export interface GroupLabels {
  group: string;
  /** With `?host=H`: H, whose last accepted policy of the TVDc these labels are. */
  host?: string;
  policy: PolicyId;
  /** `reserved`: only a dcadmin may assign it (the bootstrap label, or one with its management type). */
  labels: { name: string; kind: 'vm' | 'resource'; ste: string[]; cw: string[]; bootstrap: boolean; reserved: boolean }[];
  conflictSets: { name: string; types: string[] }[];
}

/** `GET /api/hosts` */
export type HostSummary = HostRecord;

/** `GET /api/events` */
export type EventView = TvdcEvent;

/** `GET /api/violations` */
export type ViolationView = Violation;

/** `GET /api/audit` */
export type AuditEntryView = AuditEntry;

/** `POST /api/groups/:group/vms/:vm/start` */
export interface VmStartAnswer {
  group: string;
  vm: string;
  host: string;
  state: string;
  /** false: it ran already and nothing was sent to the host. */
  changed: boolean;
}

/** `POST /api/groups/:group/vms/:vm/stop` */
export interface VmStopAnswer extends VmStartAnswer {
  /** Absent when nothing was sent (the VM was stopped already). */
  hard?: boolean;
}

/** `POST /api/groups/:group/vms/:vm/migrate` */
export interface VmMigrateAnswer {
  group: string;
  vm: string;
  from: string;
  to: string;
  /** The VM's state on `to` read after the move; null when it could not be read. */
  state: string | null;
}
