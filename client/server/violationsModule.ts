// Policy violations reported by the hosts (TVDc_AccessDeniedIndication), for the administrators to
// remediate: a dcadmin sees all, a tvdcadmin those of his TVDcs. The reports arrive through the
// server's one indication feed, which listens only when the server is told an address for it.
import { ApiError } from './ApiError.js';
import { listedGroups, requireDcAdmin, type ApiRouter } from './ApiRouter.js';
import { ACCESS_DENIED, watchAccessDenied } from './AccessDeniedWatcher.js';
import { GroupStore } from './GroupStore.js';
import { feedUnavailable, type HostIndicationFeed } from './HostIndicationFeed.js';
import { queryInteger } from './queryInteger.js';
import type { ServerContext, ServerModule } from './ServerContext.js';
import { MAX_VIOLATION_LIMIT, ViolationStore } from './ViolationStore.js';

/** Without a feed (or with one that does not listen) violations are only listed, none arrive. */
export function createViolationsModule(feed?: HostIndicationFeed): ServerModule {
  return {
    name: 'violations',
    register(router: ApiRouter, ctx: ServerContext): void {
      const violations = new ViolationStore(ctx.db);
      const groupStore = new GroupStore(ctx.db);
      if (feed) watchAccessDenied(feed, violations, ctx.log);
      const status = () => feed?.status(ACCESS_DENIED) ?? { enabled: false, destination: null, hosts: [] };

      router.route('GET', '/api/violations', ({ principal, query }) => {
        const groups = listedGroups(principal, query.get('group'), groupStore);
        const host = query.get('host') ?? undefined;
        return { violations: violations.list({ ...(groups ? { groups } : {}), ...(host ? { host } : {}), limit: queryInteger(query, 'limit', MAX_VIOLATION_LIMIT, 100) }) };
      });

      router.route('GET', '/api/violations/watch', ({ principal }) => {
        requireDcAdmin(principal);
        return status();
      });

      // Hosts added later are subscribed too: the feed looks again at each request here, and on
      // its own every resubscribeMs.
      router.route('POST', '/api/violations/watch', async ({ principal }) => {
        requireDcAdmin(principal);
        const why = await feedUnavailable(feed);
        if (why) throw ApiError.conflict(why);
        await feed!.subscribeAll();
        return status();
      });
    },
  };
}
