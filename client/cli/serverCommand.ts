// `tvdc server`: runs the management server until SIGTERM or SIGINT.
import { ManagementServer, ManagementServerError, serverModules } from '../server/ManagementServer.js';
import { defaultKeyFile, ServerKeyError } from '../server/ServerKey.js';
import { openManagerKey } from '../server/ManagerKey.js';
import { backupStore } from '../../src/store/backupStore.js';
import { StoreError } from '../../src/store/Store.js';
import { EXIT, UsageError, parseOptions, type Io } from './commandKit.js';
import { loginLimits } from './loginLimits.js';
import { requireDbDirectory } from './serverDbPath.js';

export const SERVER_USAGE = 'usage: tvdc server [--port 8080] [--host 127.0.0.1] [--db FILE] [--key-file FILE] [--https-port N --cert F --key F] [--indications-port N [--indications-host A] [--indications-url URL]] [--login-failures 1-1000] [--login-block 1-86400]';
const DEFAULT_DB = 'tvdc-server.db';

function port(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 65535) throw new UsageError(`--${name} must be a port number (0 picks a free one), not ${v}`);
  return n;
}

export const BACKUP_USAGE = 'usage: tvdc server backup --to FILE [--db FILE] [--key-file FILE]';
export const MANAGER_KEY_USAGE = 'usage: tvdc server manager-key [--db FILE]';

/**
 * `tvdc server manager-key`: the public key (PEM) the server signs migration authorizations with,
 * for each host's tvdc-host --manager-key file. Read beside the database, no server needed; made
 * there when the server has not started yet, so the hosts can be set up first.
 */
function managerKeyCommand(args: string[], io: Io): number {
  const { positional, opts } = parseOptions(args, ['db'], ['help']);
  if (opts.has('help')) {
    io.out(MANAGER_KEY_USAGE);
    return EXIT.OK;
  }
  if (positional.length) throw new UsageError(MANAGER_KEY_USAGE);
  const db = opts.get('db') ?? DEFAULT_DB;
  if (db === ':memory:') throw new UsageError('a database in memory keeps no migration signing key; give --db FILE');
  try {
    requireDbDirectory(db);
    io.out(openManagerKey(db).publicPem.trimEnd());
    return EXIT.OK;
  } catch (e) {
    if (e instanceof ManagementServerError || e instanceof ServerKeyError) {
      io.err(`tvdc server manager-key: ${e instanceof ManagementServerError ? e.code : 'SERVER_KEY'}: ${e.message}`);
      return EXIT.FAILED;
    }
    throw e;
  }
}

/**
 * `tvdc server backup`: a consistent copy of the central database while the server runs. The key
 * file stays out of it, as it stays out of every copy of the database.
 */
async function backupCommand(args: string[], io: Io): Promise<number> {
  const { positional, opts } = parseOptions(args, ['to', 'db', 'key-file'], ['help']);
  if (opts.has('help')) {
    io.out(BACKUP_USAGE);
    return EXIT.OK;
  }
  if (positional.length || !opts.get('to')) throw new UsageError(BACKUP_USAGE);
  const db = opts.get('db') ?? DEFAULT_DB;
  const keyFile = opts.get('key-file') ?? defaultKeyFile(db);
  try {
    const r = await backupStore(db, opts.get('to')!, (d) => {
      const core = d.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get() !== undefined
        && d.prepare("SELECT 1 FROM schema_migrations WHERE id = 'server-1-core'").get() !== undefined;
      return core ? null : 'is not a tvdc management server database';
    });
    io.out(`backed up ${db} to ${opts.get('to')!} (${r.pages} pages, schema ${r.migrations.length} steps, last ${r.migrations.at(-1) ?? '-'})`);
    io.out(`the host passwords in it open only with the key file ${keyFile}, which is not in the backup: keep a copy of that file apart from it`);
    return EXIT.OK;
  } catch (e) {
    if (!(e instanceof StoreError)) throw e;
    io.err(`tvdc server backup: ${e.code}: ${e.message}`);
    return EXIT.FAILED;
  }
}

export async function serverCommand(args: string[], io: Io): Promise<number> {
  if (args[0] === 'backup') return backupCommand(args.slice(1), io);
  if (args[0] === 'manager-key') return managerKeyCommand(args.slice(1), io);
  const { positional, opts } = parseOptions(args, ['port', 'host', 'db', 'key-file', 'https-port', 'cert', 'key', 'indications-port', 'indications-host', 'indications-url', 'login-failures', 'login-block'], ['help']);
  if (opts.has('help')) {
    io.out(SERVER_USAGE);
    io.out(BACKUP_USAGE);
    io.out(MANAGER_KEY_USAGE);
    return EXIT.OK;
  }
  if (positional.length) throw new UsageError(SERVER_USAGE);
  const host = opts.get('host') ?? '127.0.0.1';
  const httpsPort = port(opts.get('https-port'), 'https-port');
  if (httpsPort !== undefined && (!opts.get('cert') || !opts.get('key'))) throw new UsageError('--https-port needs --cert and --key');
  // HTTPS alone when only --https-port is given, as tvdc-host does.
  const httpPort = port(opts.get('port'), 'port') ?? (httpsPort === undefined ? 8080 : undefined);
  const db = opts.get('db') ?? DEFAULT_DB;
  // Apart from the database, so that a copy of the database alone holds only encrypted host passwords.
  const keyFile = opts.get('key-file') ?? (db === ':memory:' ? undefined : defaultKeyFile(db));
  if (keyFile === '') throw new UsageError('--key-file needs a file name');
  // Where the hosts deliver their indications, policy violations and new measurements alike (off
  // unless a port is given): one listener, one secret path per host.
  const indicationsPort = port(opts.get('indications-port'), 'indications-port');
  if (indicationsPort === undefined && (opts.has('indications-host') || opts.has('indications-url'))) throw new UsageError('--indications-host and --indications-url need --indications-port');
  const indicationsUrl = opts.get('indications-url');
  if (indicationsUrl !== undefined && !/^https?:\/\//.test(indicationsUrl)) throw new UsageError(`--indications-url must be an http(s) URL, not ${indicationsUrl}`);
  const limits = loginLimits(opts.get('login-failures'), opts.get('login-block'));
  const modules = serverModules(indicationsPort === undefined ? {} : {
    indications: { listenPort: indicationsPort, listenHost: opts.get('indications-host') ?? host, ...(indicationsUrl ? { destination: indicationsUrl } : {}) },
  });

  let server: ManagementServer;
  try {
    requireDbDirectory(db);
    // Timestamped: the log is the record of who changed what, and of refused attempts.
    server = ManagementServer.open({ db, ...(keyFile !== undefined ? { keyFile } : {}), modules, log: (l) => io.err(`${new Date().toISOString()} ${l}`) });
  } catch (e) {
    if (e instanceof ManagementServerError) {
      io.err(`tvdc server: ${e.code}: ${e.message}`);
      return EXIT.FAILED;
    }
    throw e;
  }
  server.router.limitLogins(limits);
  try {
    const urls = await server.listen({
      ...(httpPort !== undefined ? { port: httpPort } : {}),
      ...(httpsPort !== undefined ? { httpsPort, cert: opts.get('cert')!, key: opts.get('key')! } : {}),
      host,
    });
    for (const url of [urls.http, urls.https]) if (url) io.out(`tvdc server listening on ${url} (database ${db}${keyFile !== undefined ? `, key file ${keyFile}` : ''})`);
  } catch (e) {
    await server.stop();
    if (e instanceof ManagementServerError) {
      io.err(`tvdc server: ${e.code}: ${e.message}`);
      return EXIT.FAILED;
    }
    throw e;
  }
  if (httpPort !== undefined && !/^(127\.|::1$|localhost$)/.test(host)) {
    io.err(`tvdc server: notice: passwords travel in clear over HTTP on ${host}; use --https-port off loopback`);
  }
  if (server.users.list().length === 0) {
    io.err(`tvdc server: no users yet; add the first administrator with: tvdc users add NAME --role dcadmin --db ${db}`);
  }
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolve();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  await server.stop();
  return EXIT.OK;
}
