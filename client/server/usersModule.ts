// Users of the management server and their TVDc authorizations. Only a dcadmin manages users;
// anyone may ask who they are and change their own password.
import { ApiError } from './ApiError.js';
import { requireDcAdmin, type ApiRouter, type Principal } from './ApiRouter.js';
import type { ServerContext, ServerModule } from './ServerContext.js';
import { stringField } from './body.js';
import { UserStore } from './UserStore.js';
import type { Role } from './ApiRouter.js';

function requireSelfOrDcAdmin(p: Principal, user: string): void {
  if (p.user !== user) requireDcAdmin(p);
}

export const usersModule: ServerModule = {
  name: 'users',
  register(router: ApiRouter, ctx: ServerContext): void {
    const users = new UserStore(ctx.db);

    router.route('GET', '/api/whoami', ({ principal }) => ({ user: principal.user, role: principal.role, groups: principal.groups }));

    router.route('GET', '/api/users', ({ principal }) => {
      requireDcAdmin(principal);
      return { users: users.list() };
    });

    router.route('POST', '/api/users', async ({ principal, body }) => {
      requireDcAdmin(principal);
      const user = await users.add(stringField(body, 'name'), stringField(body, 'role') as Role, stringField(body, 'password'));
      ctx.audit({ user: principal.user, group: null, action: 'user.add', message: `user ${user.name} (${user.role}) added by ${principal.user}` });
      return user;
    });

    router.route('GET', '/api/users/:user', ({ principal, params }) => {
      requireSelfOrDcAdmin(principal, params['user']!);
      return users.get(params['user']!);
    });

    router.route('DELETE', '/api/users/:user', ({ principal, params }) => {
      requireDcAdmin(principal);
      const name = params['user']!;
      const u = users.get(name);
      // The datacenter must never lose its last administrator: nobody could manage users again.
      if (u.role === 'dcadmin' && users.list().filter((x) => x.role === 'dcadmin').length === 1) {
        throw ApiError.conflict(`${name} is the last dcadmin`);
      }
      users.remove(name);
      ctx.audit({ user: principal.user, group: null, action: 'user.remove', message: `user ${name} removed by ${principal.user}` });
      return { removed: name };
    });

    router.route('PUT', '/api/users/:user/password', async ({ principal, params, body }) => {
      requireSelfOrDcAdmin(principal, params['user']!);
      await users.setPassword(params['user']!, stringField(body, 'password'));
      ctx.audit({ user: principal.user, group: null, action: 'user.password', message: `password of ${params['user']} changed by ${principal.user}` });
      return { user: params['user']!, passwordChanged: true };
    });

    // The paper's step 5: the Datacenter Administrator authorizes a TVDc Administrator for a TVDc.
    router.route('PUT', '/api/users/:user/groups/:group', ({ principal, params }) => {
      requireDcAdmin(principal);
      const u = users.authorize(params['user']!, params['group']!);
      ctx.audit({ user: principal.user, group: params['group']!, action: 'user.authorize', message: `${u.name} authorized for ${params['group']} by ${principal.user}` });
      return u;
    });

    router.route('DELETE', '/api/users/:user/groups/:group', ({ principal, params }) => {
      requireDcAdmin(principal);
      const u = users.revoke(params['user']!, params['group']!);
      ctx.audit({ user: principal.user, group: params['group']!, action: 'user.revoke', message: `${u.name} no longer authorized for ${params['group']} (by ${principal.user})` });
      return u;
    });
  },
};
