// The paper's step 1: the Datacenter Administrator discovers the management VMs (tvdc hosts) and
// puts them under management. Hosts are read over CIM; their credentials stay in the database.
import { ApiError } from './ApiError.js';
import { requireDcAdmin, requireGroup, type ApiRouter, type Principal } from './ApiRouter.js';
import { bodyObject, optionalString, stringField, stringList } from './body.js';
import { deploymentView } from './DeploymentState.js';
import { GroupStore } from './GroupStore.js';
import { probeHost, readIsolation, readPolicies } from './HostCim.js';
import { onHost } from './hostFailure.js';
import { HostRegistry } from './HostRegistry.js';
import { managerKeyOf } from './ManagerKey.js';
import type { HostRecord, ServerContext, ServerModule } from './ServerContext.js';

/** A host's URL as stored: scheme, host and port only. Credentials never travel inside it. */
export function normalizeHostUrl(text: string): string {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw ApiError.badRequest(`"${text}" is not a URL; write http://host:5988 or https://host:5989`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw ApiError.badRequest(`${text}: use an http or https URL`);
  if (u.username || u.password) throw ApiError.badRequest(`${text}: give the host's credentials as user and password, not in the URL`);
  return `${u.protocol}//${u.hostname.includes(':') && !u.hostname.startsWith('[') ? `[${u.hostname}]` : u.hostname}:${u.port || (u.protocol === 'https:' ? '5989' : '5988')}`;
}

/** How the server logs in to a host: user and password, and the CA of an HTTPS host's certificate. */
function credentials(body: unknown): { user?: string; password?: string; ca?: string } {
  const user = optionalString(body, 'user');
  const password = optionalString(body, 'password');
  const ca = optionalString(body, 'ca');
  if (password !== undefined && user === undefined) throw ApiError.badRequest('"password" needs "user"');
  if (ca !== undefined && !ca.includes('-----BEGIN CERTIFICATE-----')) throw ApiError.badRequest('"ca" must be PEM certificate text');
  return { ...(user !== undefined ? { user, password: password ?? '' } : {}), ...(ca !== undefined ? { ca } : {}) };
}

/** A tvdcadmin sees the hosts of his TVDcs only. */
export function visible(p: Principal, h: HostRecord): boolean {
  return p.role === 'dcadmin' || (h.group !== null && p.groups.includes(h.group));
}

function requireHostVisible(p: Principal, h: HostRecord): void {
  if (p.role === 'dcadmin') return;
  if (h.group === null) throw ApiError.forbidden(`host ${h.name} is in no TVDc; only a dcadmin may see it`);
  requireGroup(p, h.group);
}

export const hostsModule: ServerModule = {
  name: 'hosts',
  register(router: ApiRouter, ctx: ServerContext): void {
    // Adding and removing hosts needs the server's own directory (one connection pool per host),
    // not just the read side every module shares.
    if (!(ctx.hosts instanceof HostRegistry)) throw new Error('the hosts module needs the server\'s HostRegistry');
    const hosts = ctx.hosts;
    const groups = new GroupStore(ctx.db);
    // Made on first start, so it can be given to the hosts (--manager-key) before any migration.
    const managerKey = managerKeyOf(ctx.db);

    // The public half of the key the server signs migration authorizations with: what each host's
    // tvdc-host --manager-key file holds. Public, so any signed-in user may read it.
    router.route('GET', '/api/manager-key', () => ({ publicKey: managerKey.publicPem, fingerprint: managerKey.fingerprint, algorithm: 'Ed25519' }));

    router.route('POST', '/api/hosts/discover', async ({ principal, body }) => {
      requireDcAdmin(principal);
      const urls = stringList(body, 'urls');
      const creds = credentials(body);
      const known = new Map(hosts.list().map((h) => [h.url, h.name]));
      const results = await Promise.all(urls.map(async (url) => {
        try {
          const normalized = normalizeHostUrl(url);
          const { name } = await probeHost(normalized, creds);
          return { url: normalized, ok: true, name, managed: known.has(normalized) };
        } catch (e) {
          if (!(e instanceof ApiError)) throw e;
          return { url, ok: false, error: { code: e.code, message: e.message } };
        }
      }));
      return { results };
    });

    router.route('GET', '/api/hosts', ({ principal }) => ({
      hosts: hosts.list().filter((h) => visible(principal, h)).map((h) => ({ ...h, credentials: hosts.hasCredentials(h.name) })),
    }));

    router.route('POST', '/api/hosts', async ({ principal, body }) => {
      requireDcAdmin(principal);
      bodyObject(body);
      const url = normalizeHostUrl(stringField(body, 'url'));
      const creds = credentials(body);
      const { name } = await probeHost(url, creds);
      const h = hosts.add(name, url, { user: creds.user ?? null, password: creds.password ?? null, ca: creds.ca ?? null });
      ctx.audit({ user: principal.user, group: null, action: 'host.add', message: `host ${name} (${url}) added by ${principal.user}` });
      return { ...h, credentials: creds.user !== undefined };
    });

    router.route('GET', '/api/hosts/:host', async ({ principal, params }) => {
      const found = hosts.find(params['host']!);
      // A tvdcadmin learns nothing about hosts outside his TVDcs, not even whether they exist.
      if (!found && principal.role !== 'dcadmin') throw ApiError.forbidden(`host ${params['host']} is not in a TVDc ${principal.user} is authorized for`);
      const h = found ?? hosts.get(params['host']!);
      requireHostVisible(principal, h);
      const conn = hosts.connection(h.name);
      const [isolation, policies] = await onHost(h.name, () => Promise.all([readIsolation(conn), readPolicies(conn)]));
      const active = policies.find((p) => p.active);
      const deployment = h.group === null ? null : deploymentView(
        groups.policy(h.group), groups.deployments(h.group).find((d) => d.host === h.name),
        { reachable: true, active: active ? { name: active.name, version: active.version } : null },
      );
      return {
        ...h,
        credentials: hosts.hasCredentials(h.name),
        policies: policies.map((p) => ({ name: p.name, version: p.version, active: p.active })),
        // Where the host stands with its TVDc's policy (null: in no TVDc), drift included.
        deployment,
        ...isolation,
      };
    });

    // New credentials are tried on the host before they replace the old ones, and must reach the
    // same host: a typo does not cut the server off, nor point the name at another machine.
    router.route('PUT', '/api/hosts/:host/credentials', async ({ principal, params, body }) => {
      requireDcAdmin(principal);
      bodyObject(body);
      const h = hosts.get(params['host']!);
      const creds = credentials(body);
      const { name } = await probeHost(h.url, creds);
      if (name !== h.name) throw ApiError.conflict(`${h.url} now answers as host ${name}, not ${h.name}: credentials not changed`);
      await hosts.setCredentials(h.name, { user: creds.user ?? null, password: creds.password ?? null, ca: creds.ca ?? null });
      ctx.audit({ user: principal.user, group: h.group, action: 'host.credentials', message: `credentials of host ${h.name} replaced by ${principal.user}` });
      return { ...h, credentials: creds.user !== undefined };
    });

    // The host is forgotten whatever happens on it; what could not be undone there (its
    // indication subscriptions, on a host that cannot be reached) is said in the answer.
    router.route('DELETE', '/api/hosts/:host', async ({ principal, params }) => {
      requireDcAdmin(principal);
      const reports = await hosts.remove(params['host']!);
      ctx.audit({ user: principal.user, group: null, action: 'host.remove', message: `host ${params['host']} removed by ${principal.user}` });
      return { removed: params['host']!, ...reports };
    });
  },
};
