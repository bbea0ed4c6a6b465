// The host's MigrationAuthority (src/tvdc/MigrationAuthority.ts) as MigrateVirtualSystemToHost
// applies it: its refusals are CIM_ERR_ACCESS_DENIED, not the method's return code 2, because
// they are about the caller's right to make the call, as the role check of admin-only methods and
// a migration ticket's limits are, not about whether the VM can move; a management server tells
// them apart by that status.
import { CimError, CimStatus } from '../../src/cim/CimError.js';
import { TvdcError } from '../../src/tvdc/TvdcError.js';
import type { MigrationCaller } from '../../src/tvdc/MigrationAuthority.js';
import type { ProviderContext } from '../../src/wbem/Provider.js';

export function migrationCaller(ctx: ProviderContext): MigrationCaller {
  return { user: ctx.user, role: ctx.role, granted: Boolean(ctx.grant) };
}

/** Runs `f`, turning its ACCESS_DENIED into CIM_ERR_ACCESS_DENIED with the same message. */
export function asAccessDenied<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof TvdcError && e.code === 'ACCESS_DENIED') throw new CimError(CimStatus.CIM_ERR_ACCESS_DENIED, e.message);
    throw e;
  }
}
