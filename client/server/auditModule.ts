// The audit trail over the API: a dcadmin reads all of it; a tvdcadmin reads what was done, and
// refused, in his TVDcs (datacenter-wide entries, such as users and hosts, are the dcadmin's).
import { ApiError } from './ApiError.js';
import { listedGroups, type ApiRouter } from './ApiRouter.js';
import { AuditTrail, MAX_AUDIT_LIMIT, type AuditOutcome } from './AuditTrail.js';
import { GroupStore } from './GroupStore.js';
import { queryInteger } from './queryInteger.js';
import type { ServerContext, ServerModule } from './ServerContext.js';

/** How long entries are kept: a year, for the questions an audit asks about last quarter. */
export const AUDIT_RETENTION_DAYS = 365;

export const auditModule: ServerModule = {
  name: 'audit',
  register(router: ApiRouter, ctx: ServerContext): () => Promise<void> {
    const trail = new AuditTrail(ctx.db);
    const groupStore = new GroupStore(ctx.db);

    router.route('GET', '/api/audit', ({ principal, query }) => {
      const groups = listedGroups(principal, query.get('group'), groupStore);
      const outcome = query.get('outcome');
      if (outcome !== null && !['done', 'refused', 'failed'].includes(outcome)) throw ApiError.badRequest(`outcome must be done, refused or failed, not "${outcome}"`);
      const since = query.get('since');
      return {
        entries: trail.list({
          ...(groups ? { groups } : {}),
          ...(query.get('user') !== null ? { user: query.get('user')! } : {}),
          ...(query.get('action') !== null ? { action: query.get('action')! } : {}),
          ...(outcome !== null ? { outcome: outcome as AuditOutcome } : {}),
          ...(since !== null ? { since: new Date(since) } : {}),
          limit: queryInteger(query, 'limit', MAX_AUDIT_LIMIT, 100),
        }),
      };
    });

    const prune = () => {
      const n = trail.prune(new Date(Date.now() - AUDIT_RETENTION_DAYS * 24 * 3600_000));
      if (n) ctx.log(`audit trail: ${n} entries older than ${AUDIT_RETENTION_DAYS} days deleted`);
    };
    prune();
    const pruning = setInterval(prune, 24 * 3600_000);
    pruning.unref();
    return async () => clearInterval(pruning);
  },
};
