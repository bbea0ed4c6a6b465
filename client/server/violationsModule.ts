// Policy violations reported by the hosts (TVDc_AccessDeniedIndication), for the administrators to
// remediate: a dcadmin sees all, a tvdcadmin those of his TVDcs. Following the hosts needs an
// address they can reach, so the listener runs only when the server is told one.
import { ApiError } from './ApiError.js';
import { requireDcAdmin, requireGroup, type ApiRouter } from './ApiRouter.js';
import { AccessDeniedWatcher, type AccessDeniedWatcherOptions } from './AccessDeniedWatcher.js';
import type { ServerContext, ServerModule } from './ServerContext.js';
import { ViolationStore } from './ViolationStore.js';

export type ViolationListenOptions = Pick<AccessDeniedWatcherOptions, 'listenHost' | 'listenPort' | 'destination' | 'resubscribeMs'>;

function limitOf(q: URLSearchParams): number {
  const v = q.get('limit');
  if (v === null) return 100;
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 10_000) throw ApiError.badRequest('limit must be a number from 1 to 10000');
  return Number(v);
}

export function createViolationsModule(listen?: ViolationListenOptions): ServerModule {
  return {
    name: 'violations',
    register(router: ApiRouter, ctx: ServerContext): (() => Promise<void>) | void {
      const violations = new ViolationStore(ctx.db);
      let watcher: AccessDeniedWatcher | undefined;
      let destination: string | null = null;

      router.route('GET', '/api/violations', ({ principal, query }) => {
        const group = query.get('group');
        if (group !== null) requireGroup(principal, group);
        const groups = group !== null ? [group] : principal.role === 'dcadmin' ? undefined : principal.groups;
        const host = query.get('host') ?? undefined;
        return { violations: violations.list({ ...(groups ? { groups } : {}), ...(host ? { host } : {}), limit: limitOf(query) }) };
      });

      router.route('GET', '/api/violations/watch', ({ principal }) => {
        requireDcAdmin(principal);
        return { enabled: watcher !== undefined, destination, hosts: watcher?.watching() ?? [] };
      });

      // Hosts added later are subscribed too: the watcher looks again at each request here, and
      // on its own every resubscribeMs.
      router.route('POST', '/api/violations/watch', async ({ principal }) => {
        requireDcAdmin(principal);
        if (!watcher) throw ApiError.conflict('the server follows no host reports: start it with --indications-port');
        await watcher.subscribeAll();
        return { enabled: true, destination, hosts: watcher.watching() };
      });

      if (!listen) return;
      const w = new AccessDeniedWatcher({ ...listen, hosts: ctx.hosts, violations, log: ctx.log });
      watcher = w;
      const started = w.start().then(
        (url) => {
          destination = url;
          ctx.log(`violations: hosts report policy violations to ${url}/tvdc/isolation/<host token>`);
        },
        (e: unknown) => {
          watcher = undefined;
          ctx.log(`violations: cannot listen for host reports: ${(e as Error).message}`);
        },
      );
      return async () => {
        await started;
        await w.stop();
      };
    },
  };
}
