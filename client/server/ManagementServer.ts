// The paper's "systems management application server": one SQLite file of central state, a JSON
// API under /api/ and a web console under /console/ on Koa (HTTP and optionally HTTPS),
// and the hosts it manages reached only over CIM. Each area of the API is a ServerModule; the list
// below is the whole server.
//
//   const server = ManagementServer.open({ db: '/var/lib/tvdc/server.db' });
//   const { http } = await server.listen({ port: 8080 });
//   ...
//   await server.stop();
import http from 'node:http';
import https from 'node:https';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import Koa from 'koa';
import { migrate, openStore, type Db } from '../../src/store/Store.js';
import { ApiRouter } from './ApiRouter.js';
import type { Timeouts } from '../cim/index.js';
import { HostRegistry } from './HostRegistry.js';
import { openServerKey, ServerKeyError, type ServerKey } from './ServerKey.js';
import type { ServerContext, ServerModule } from './ServerContext.js';
import { AuditTrail, type NewAuditEntry } from './AuditTrail.js';
import { auditModule } from './auditModule.js';
import { SERVER_MIGRATIONS } from './serverSchema.js';
import { UserStore } from './UserStore.js';
import { usersModule } from './usersModule.js';
import { hostsModule } from './hostsModule.js';
import { groupsModule } from './groupsModule.js';
import { policyModule } from './policyModule.js';
import { labelsModule } from './labelsModule.js';
import { segmentsModule } from './segmentsModule.js';
import { createVmsModule, type VmsModuleOptions } from './vmsModule.js';
import { createViolationsModule } from './violationsModule.js';
import { createIntegrityModule, type IntegrityModuleOptions } from './integrity/integrityModule.js';
import { HostIndicationFeed, type HostIndicationFeedOptions } from './HostIndicationFeed.js';
import { consoleMiddleware } from './console/consoleMiddleware.js';
import { ConsoleTokens } from './console/ConsoleTokens.js';

export interface ServerModulesOptions {
  /** Where the hosts deliver their indications (policy violations, new measurements); off without it. */
  indications?: HostIndicationFeedOptions;
  /** Tuning of the integrity module (tests). */
  integrity?: Omit<IntegrityModuleOptions, 'feed'>;
  /** How long VM start, stop and migration wait for the hosts (tests). */
  vms?: VmsModuleOptions;
}

/**
 * Every module the server runs, in registration order. The indication feed comes first: its
 * migration takes over the delivery paths the violations module used to keep.
 */
export function serverModules(options: ServerModulesOptions = {}): ServerModule[] {
  const feed = new HostIndicationFeed(options.indications);
  return [
    feed.module, usersModule, auditModule, hostsModule, groupsModule, policyModule, labelsModule, segmentsModule, createVmsModule(options.vms),
    createViolationsModule(feed), createIntegrityModule({ ...options.integrity, feed }),
  ];
}

export interface ManagementServerOptions {
  /** The central database file (created with mode 0600: it holds host credentials); ':memory:' for tests. */
  db: string;
  /** The key the host passwords are encrypted with (default: the database path plus `.key`; with ':memory:', a key of this process). */
  keyFile?: string;
  /** Where the server reports faults and background work (default: stderr). */
  log?: (line: string) => void;
  /** The modules to run (default serverModules(): all of them, without the indication feed). */
  modules?: readonly ServerModule[];
  /** How long the server waits on its hosts' CIM operations (tests; default HOST_TIMEOUTS). */
  hostTimeouts?: Partial<Timeouts>;
}

export interface ServerListenOptions {
  /** HTTP port; 0 picks a free one. Omit to serve HTTPS only. */
  port?: number;
  /** Address to bind (default 127.0.0.1). */
  host?: string;
  httpsPort?: number;
  /** PEM text or the path of a PEM file. */
  cert?: string;
  key?: string;
  /**
   * How long a client may take to send a request head, from its connection on (default 60 s). A
   * connection that sends nothing at all is closed after the same time.
   */
  headersTimeoutMs?: number;
  /** How long a client may take to send a whole request (default 300 s). */
  requestTimeoutMs?: number;
}

export class ManagementServerError extends Error {
  override readonly name = 'ManagementServerError';
  constructor(readonly code: 'SERVER_LISTEN' | 'SERVER_TLS_CONFIG' | 'SERVER_DB' | 'SERVER_KEY', message: string) {
    super(message);
  }
}

/**
 * Opens the central database and applies the core schema (the server, and `tvdc users add --db`).
 * The file is made owner-only before SQLite opens it; SQLite gives its WAL files the same mode.
 */
export function openServerDb(file: string): Db {
  if (file !== ':memory:') {
    try {
      mkdirSync(dirname(file), { recursive: true });
      if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
      chmodSync(file, 0o600);
    } catch (e) {
      throw new ManagementServerError('SERVER_DB', `cannot create database ${file}: ${(e as Error).message}`);
    }
  }
  try {
    const db = openStore(file);
    migrate(db, SERVER_MIGRATIONS);
    return db;
  } catch (e) {
    throw new ManagementServerError('SERVER_DB', (e as Error).message);
  }
}

/** Node's own checks of slow heads and slow requests, made explicit and checked often enough to be on time. */
function httpOptions(options: ServerListenOptions): http.ServerOptions {
  const headersTimeout = options.headersTimeoutMs ?? 60_000;
  return {
    headersTimeout, requestTimeout: options.requestTimeoutMs ?? 300_000,
    connectionsCheckingInterval: Math.min(30_000, Math.max(250, Math.floor(headersTimeout / 4))),
  };
}

/**
 * Closes connections that send no request within the header timeout. Node's header timeout starts
 * with a request's first byte, so a client that connects and stays silent would hold its socket
 * (and a file descriptor) for ever. Once a request came, Node's own timeouts take over.
 */
function guarded<S extends http.Server>(server: S): S {
  const limit = server.headersTimeout;
  const waiting = new WeakMap<object, NodeJS.Timeout>();
  // Over TLS the request's socket is the TLS socket, which exists once the handshake is done (the
  // handshake itself has TLS's own timeout).
  const event = server instanceof https.Server ? 'secureConnection' : 'connection';
  server.on(event, (socket: Duplex & { bytesRead?: number }) => {
    // A head begun and not finished is Node's to answer (408); only a silent one is dropped here.
    const timer = setTimeout(() => {
      if (!socket.bytesRead) socket.destroy();
    }, limit);
    timer.unref();
    waiting.set(socket, timer);
    socket.once('close', () => clearTimeout(timer));
  });
  server.on('request', (req: http.IncomingMessage) => {
    const timer = waiting.get(req.socket);
    if (timer === undefined) return;
    clearTimeout(timer);
    waiting.delete(req.socket);
  });
  return server;
}

function pem(v: string): string {
  return v.includes('-----BEGIN') ? v : readFileSync(v, 'utf8');
}

export class ManagementServer {
  readonly users: UserStore;
  readonly hosts: HostRegistry;
  readonly router: ApiRouter;
  /** The web console's anti-CSRF tokens, keyed with a secret sealed under the server's key. */
  readonly consoleTokens: ConsoleTokens;
  readonly app: Koa;
  private readonly stoppers: (() => Promise<void>)[] = [];
  private readonly listeners: http.Server[] = [];
  private stopped = false;

  private constructor(readonly db: Db, private readonly log: (line: string) => void, modules: readonly ServerModule[], key: ServerKey, hostTimeouts: Partial<Timeouts>) {
    this.users = new UserStore(db);
    this.hosts = new HostRegistry(db, { ...key, log }, hostTimeouts);
    this.consoleTokens = new ConsoleTokens(db, { ...key, log });
    this.router = new ApiRouter(this.users, log);
    const trail = new AuditTrail(db);
    // The change is made by the time it is recorded: a record that cannot be written is logged,
    // never turned into a failure of what already happened.
    const record = (entry: NewAuditEntry) => {
      try {
        trail.record(entry);
      } catch (e) {
        log(`audit trail: cannot record "${entry.message}": ${(e as Error).message}`);
      }
    };
    this.router.auditRefusals(record);
    const ctx: ServerContext = {
      db, hosts: this.hosts, log,
      audit: (entry) => {
        record(entry);
        log(entry.message);
      },
    };
    for (const m of modules) {
      const stop = m.register(this.router, ctx);
      if (stop) this.stoppers.push(stop);
    }
    this.app = new Koa();
    // Failures are answered by the router; Koa's own printing would only repeat them.
    this.app.silent = true;
    // The web console (/ and /console/) renders the API's answers for the same users; every
    // other path is the API's.
    this.app.use(consoleMiddleware(this.router, this.consoleTokens, log));
    this.app.use(this.router.middleware());
  }

  static open(options: ManagementServerOptions): ManagementServer {
    const log = options.log ?? ((line: string) => process.stderr.write(line + '\n'));
    const db = openServerDb(options.db);
    try {
      const key = openServerKey(options.db, options.keyFile, () => HostRegistry.holdsEncryptedPasswords(db));
      return new ManagementServer(db, log, options.modules ?? serverModules(), key, options.hostTimeouts ?? {});
    } catch (e) {
      db.close();
      if (e instanceof ServerKeyError) throw new ManagementServerError('SERVER_KEY', e.message);
      throw e;
    }
  }

  async listen(options: ServerListenOptions): Promise<{ http?: string; https?: string }> {
    if (options.port === undefined && options.httpsPort === undefined) throw new ManagementServerError('SERVER_LISTEN', 'neither an HTTP nor an HTTPS port was given');
    const host = options.host ?? '127.0.0.1';
    const out: { http?: string; https?: string } = {};
    const display = host.includes(':') ? `[${host}]` : host;
    if (options.port !== undefined) {
      out.http = `http://${display}:${await this.bind(guarded(http.createServer(httpOptions(options), this.app.callback())), options.port, host)}`;
    }
    if (options.httpsPort !== undefined) {
      if (!options.cert || !options.key) throw new ManagementServerError('SERVER_TLS_CONFIG', 'HTTPS needs --cert and --key');
      let server: https.Server;
      try {
        server = guarded(https.createServer({ ...httpOptions(options), cert: pem(options.cert), key: pem(options.key) }, this.app.callback()));
      } catch (e) {
        throw new ManagementServerError('SERVER_TLS_CONFIG', `cannot use the certificate or key: ${(e as Error).message}`);
      }
      out.https = `https://${display}:${await this.bind(server, options.httpsPort, host)}`;
    }
    return out;
  }

  private bind(server: http.Server, port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      server.once('error', (e) => reject(new ManagementServerError('SERVER_LISTEN', `cannot listen on ${host}:${port}: ${e.message}`)));
      server.listen(port, host, () => {
        this.listeners.push(server);
        resolve((server.address() as AddressInfo).port);
      });
    });
  }

  /** Stops listening, lets requests in flight finish, stops background work, closes the database. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all(this.listeners.map((s) => new Promise<void>((resolve) => {
      // Requests in flight get a few seconds to finish; a client holding its socket open does not
      // keep the server from stopping.
      const force = setTimeout(() => s.closeAllConnections(), 5_000);
      s.close(() => {
        clearTimeout(force);
        resolve();
      });
      s.closeIdleConnections();
    })));
    for (const stop of this.stoppers.reverse()) {
      try {
        await stop();
      } catch (e) {
        this.log(`stopping a module failed: ${(e as Error).message}`);
      }
    }
    await this.hosts.close();
    this.db.close();
  }
}
