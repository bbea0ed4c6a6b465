// The shapes of the JSON API answers the console renders (docs/management.md), as the console
// reads them. The console takes them from the API's own handlers in this process
// (ApiRouter.read), so these only name what the routes already return; nothing here is queried.
import type { DeploymentView } from '../DeploymentState.js';

export interface PolicyId {
  name: string;
  version: string;
}

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

export interface VmView {
  name: string;
  state: string;
  label: string | null;
  securityLabel: string | null;
  disks: string[];
  segments: string[];
}

export interface HostDetail {
  name: string;
  url: string;
  deployment: DeploymentView;
  reachable: boolean;
  error?: ApiErrorBody;
  label: string | null;
  vms: VmView[];
  disks: { name: string; label: string | null }[];
  segments: { name: string; network: string; label: string | null }[];
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
  policy: PolicyId;
  labels: { name: string; kind: 'vm' | 'resource'; ste: string[]; cw: string[]; bootstrap: boolean }[];
  conflictSets: { name: string; types: string[] }[];
}

/** `GET /api/hosts` */
export interface HostSummary {
  name: string;
  url: string;
  group: string | null;
}

/** `GET /api/events` (a TvdcEvent) */
export interface EventView {
  id: number;
  at: string;
  kind: 'attestation' | 'action';
  group: string | null;
  host: string;
  vm?: string;
  status: 'trusted' | 'unknown' | 'untrusted' | 'failed' | 'done';
  message: string;
  findings: { code: string; message: string; path?: string }[];
  planId?: number;
  action?: string;
  cause?: number;
}

/** `GET /api/violations` */
export interface ViolationView {
  id: number;
  at: string;
  receivedAt: string;
  host: string;
  group: string | null;
  operation: string;
  subject: string;
  subjectLabel: string | null;
  object: string | null;
  objectLabel: string | null;
  rule: string;
  reason: string;
}
