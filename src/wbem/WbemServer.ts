// The WBEM server: owns the repository, the provider registry, the HTTP(S) listeners and the
// indication hook. Everything a host agent exposes over CIM-XML goes through one of these.
//
//   const server = new WbemServer({ repository, store, users, name });
//   server.registerProvider('root/tvdc', 'TVDc_ComputerSystem', provider);
//   attachIndications(server);               // src/wbem/indications
//   const { http, https } = await server.listen({ port: 5988, httpsPort: 5989, cert, key });
//   ...
//   await server.close();
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import type { CimRepository } from '../cim/CimRepository.js';
import type { CimInstance } from '../cim/CimInstance.js';
import { openStore, type Db } from '../store/Store.js';
import type { IndicationSink, Provider } from './Provider.js';
import type { UserDirectory } from './UserDirectory.js';
import { ProviderRegistry } from './ProviderRegistry.js';
import { RepositoryProvider, type LoadReport } from './RepositoryProvider.js';
import { InteropProvider } from './InteropProvider.js';
import { DEFAULT_ENUMERATION_LIMITS, EnumerationContexts } from './EnumerationContexts.js';
import { createWbemApp, parserErrorResponse } from './HttpTransport.js';
import { LoginThrottle, type LoginThrottleOptions } from './LoginThrottle.js';
import type { OneTimeCredentials } from './OneTimeCredentials.js';
import { MPostRewriter } from './MPostRewriter.js';
import { INTEROP_NAMESPACE, canonicalNamespace } from './namespaceName.js';
import { CimObjectPath } from '../cim/CimObjectPath.js';
import type { ServerCore } from './ServerCore.js';

export interface WbemServerOptions {
  repository: CimRepository;
  /** Durable store for created instances; a private in-memory database when omitted. */
  store?: Db;
  /** Users and roles; without them the server serves everyone as admin, on loopback only. */
  users?: UserDirectory | null;
  /**
   * Limits on failed logins per client address (default 10 per 60 s, then 429 for 60 s); each
   * address that reaches them is logged once.
   */
  loginThrottle?: Omit<LoginThrottleOptions, 'onBlock'>;
  /** This host's name: SystemName of CIM_ObjectManager and the host in returned paths. */
  name?: string;
  /**
   * The system hosting this server: a CIM_ComputerSystem class (or subclass) in a namespace, its
   * instance keyed CreationClassName = the class, Name = `name`. CIM_ObjectManager, CIM_Namespace
   * and CIM_IndicationService name it in their weak keys, and CIM_HostedService links it to them.
   * Default CIM_ComputerSystem in the interop namespace, which nothing serves on a bare server.
   */
  hostSystem?: { className: string; namespace: string };
  /** Largest request body accepted, in bytes (default 16 MiB); larger ones get 413. */
  maxRequestBytes?: number;
  /** Default and largest pull OperationTimeout, seconds (defaults 60 and 600). */
  defaultOperationTimeout?: number;
  maxOperationTimeout?: number;
  /** Most pull enumerations open at once (default 1000), and per user (default 100; anonymous callers count as one user). */
  maxOpenEnumerations?: number;
  maxOpenEnumerationsPerUser?: number;
  /** Where server-side faults are reported (default: console.error). */
  log?: (message: string) => void;
  /** Sees every CIM-XML response body sent; for tests and debugging. */
  traceResponse?: (xml: string) => void;
  /**
   * A client must send a request's head within this time (default 60 s), counted from the
   * request's first byte, else 408 and the connection is closed. Over HTTPS the TLS handshake has
   * a limit of the same length.
   */
  headersTimeoutMs?: number;
  /** ... and the whole request within this time (default 300 s). */
  requestTimeoutMs?: number;
  /**
   * A connection that sends nothing for this long before its first request or between requests
   * is closed (default 30 s, never more than headersTimeoutMs).
   */
  idleTimeoutMs?: number;
}

export interface ListenOptions {
  /** HTTP port; 0 picks a free one. Omit to serve HTTPS only. */
  port?: number;
  /** Address to bind (default 127.0.0.1). Anything but loopback needs a users file. */
  host?: string;
  /** HTTPS port; needs cert and key. */
  httpsPort?: number;
  /** PEM text or the path of a PEM file. */
  cert?: string;
  key?: string;
}

export interface ListeningAddresses {
  /** e.g. `http://127.0.0.1:5988` */
  http?: string;
  https?: string;
}

export class WbemServerError extends Error {
  override readonly name = 'WbemServerError';
  constructor(readonly code: 'WBEM_LISTEN' | 'WBEM_UNAUTHENTICATED_BIND' | 'WBEM_TLS_CONFIG' | 'WBEM_HOST_SYSTEM', message: string) {
    super(message);
  }
}

/** How long a client refused by the HTTP parser may take to read the refusal and hang up. */
const REFUSED_LINGER_MS = 2_000;

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || h === '::ffff:127.0.0.1';
}

function pem(v: string): string | Buffer {
  return v.includes('-----BEGIN') ? v : readFileSync(v);
}

export class WbemServer implements ServerCore {
  readonly repository: CimRepository;
  readonly store: Db;
  readonly name: string;
  readonly providers = new ProviderRegistry();
  readonly enumerations: EnumerationContexts;
  /** Serves classes without a registered provider; persists what clients create. */
  readonly repositoryProvider: RepositoryProvider;
  /** The interop namespace; add profiles with `server.interop.addProfile(...)`. */
  readonly interop: InteropProvider;
  /** What the repository provider restored from the store at construction. */
  readonly restored: LoadReport;
  /** The indication pipeline, or null until attachIndications(). */
  indications: IndicationSink | null = null;
  readonly oneTimeCredentials: OneTimeCredentials | null;

  private readonly options: WbemServerOptions;
  /** Failed logins per client address, over HTTP and HTTPS alike; limitLogins() replaces it before listen(). */
  private throttle: LoginThrottle;
  private readonly listeners: net.Server[] = [];
  private readonly sockets = new Set<Duplex>();
  private httpServer: http.Server | null = null;
  private interopRegistered = false;
  private closed = false;

  constructor(options: WbemServerOptions) {
    this.options = options;
    this.repository = options.repository;
    this.store = options.store ?? openStore(':memory:');
    this.name = options.name ?? 'localhost';
    this.oneTimeCredentials = options.users?.oneTime ?? null;
    this.throttle = this.makeThrottle(options.loginThrottle ?? {});
    const limits = DEFAULT_ENUMERATION_LIMITS;
    this.enumerations = new EnumerationContexts({
      defaultTimeout: options.defaultOperationTimeout ?? limits.defaultTimeout, maxTimeout: options.maxOperationTimeout ?? limits.maxTimeout,
      maxObjectCount: limits.maxObjectCount, maxOpen: options.maxOpenEnumerations ?? limits.maxOpen,
      maxOpenPerUser: options.maxOpenEnumerationsPerUser ?? limits.maxOpenPerUser,
    });
    this.repositoryProvider = new RepositoryProvider(this.repository, this.store);
    this.restored = this.repositoryProvider.load();
    if (this.repository.hasNamespace(INTEROP_NAMESPACE) && !this.repository.hasNamespace('interop')) {
      this.repository.aliasNamespace('interop', INTEROP_NAMESPACE);
    }
    this.interop = new InteropProvider(this.repository, this.name, this.hostSystemPath(options.hostSystem));
    // DSP1033 is autonomous: its central instances are the registered profiles themselves.
    this.interop.addProfile({ organization: 2, name: 'Profile Registration', version: '1.0.0', centralClass: 'CIM_RegisteredProfile', centralNamespace: INTEROP_NAMESPACE });
  }

  /** The system hosting this server (see WbemServerOptions.hostSystem), with its namespace. */
  get hostSystem(): CimObjectPath {
    return this.interop.hostSystem;
  }

  private hostSystemPath(option: WbemServerOptions['hostSystem']): CimObjectPath {
    const repo = this.repository;
    let className = 'CIM_ComputerSystem';
    let namespace = INTEROP_NAMESPACE;
    if (option) {
      namespace = canonicalNamespace(option.namespace);
      if (!repo.hasNamespace(namespace)) throw new WbemServerError('WBEM_HOST_SYSTEM', `host system: there is no namespace ${option.namespace}`);
      if (!repo.hasClass(namespace, option.className)) throw new WbemServerError('WBEM_HOST_SYSTEM', `host system: there is no class ${option.className} in ${namespace}`);
      if (!repo.hasClass(namespace, 'CIM_ComputerSystem') || !repo.isSubclassOf(namespace, option.className, 'CIM_ComputerSystem')) {
        throw new WbemServerError('WBEM_HOST_SYSTEM', `host system: ${option.className} in ${namespace} is not a CIM_ComputerSystem`);
      }
      className = repo.getClass(namespace, option.className).name;
    }
    return CimObjectPath.instance(className, [
      { name: 'CreationClassName', type: 'string', value: className },
      { name: 'Name', type: 'string', value: this.name },
    ], namespace, this.name);
  }

  /**
   * Sets the limits on failed logins, as the loginThrottle option does (tvdc-host's
   * --login-failures and --login-block, for a server its HostAgent built). Before listen() only:
   * a listener keeps the throttle it started with.
   */
  limitLogins(options: Omit<LoginThrottleOptions, 'onBlock'>): void {
    if (this.listeners.length > 0) throw new Error('WbemServer.limitLogins: set the login limits before listen()');
    this.throttle = this.makeThrottle(options);
  }

  private makeThrottle(options: Omit<LoginThrottleOptions, 'onBlock'>): LoginThrottle {
    return new LoginThrottle({
      ...options,
      onBlock: (address, failures, seconds) => this.log(`login refused: ${failures} failed logins from ${address}; its logins are refused with 429 for ${seconds} s`),
    });
  }

  /** Serves exactly `className` (register subclasses separately) in `namespace`. */
  registerProvider(namespace: string, className: string, provider: Provider): void {
    this.providers.register(namespace, className, provider);
  }

  /** The provider for instances of exactly `className`: the registered one, else the repository's. */
  providerFor(namespace: string, className: string): Provider {
    this.registerInterop();
    return this.providers.get(namespace, className) ?? this.repositoryProvider;
  }

  /** Plugs in the indication pipeline: every emitted indication goes to `sink` from now on. */
  attachIndications(sink: IndicationSink): void {
    this.indications = sink;
    if (this.repository.hasNamespace(INTEROP_NAMESPACE) && this.repository.hasClass(INTEROP_NAMESPACE, 'CIM_IndicationService')) {
      this.interop.addProfile({ organization: 2, name: 'Indications', version: '1.2.2', centralClass: 'CIM_IndicationService', centralNamespace: INTEROP_NAMESPACE });
    }
  }

  /** Sends an indication into the pipeline (dropped while none is attached). */
  emitIndication(namespace: string, indication: CimInstance): void {
    try {
      this.indications?.emit(namespace, indication);
    } catch (e) {
      this.log(`indication pipeline failed: ${(e as Error).message}`);
    }
  }

  private log(message: string): void {
    (this.options.log ?? ((m: string) => console.error(m)))(message);
  }

  /**
   * The interop classes are registered on first use rather than at construction, so that MOF
   * compiled or providers registered after `new WbemServer` (TVDc_ subclasses) are taken into account.
   */
  private registerInterop(): void {
    if (this.interopRegistered) return;
    this.interopRegistered = true;
    for (const r of this.interop.registrations()) {
      if (!this.providers.get(r.namespace, r.className)) this.providers.register(r.namespace, r.className, r.provider);
    }
  }

  /** Starts listening; resolves with the URLs. Refuses a non-loopback address without users. */
  async listen(options: ListenOptions): Promise<ListeningAddresses> {
    const host = options.host ?? '127.0.0.1';
    if (!this.options.users && !isLoopback(host)) {
      throw new WbemServerError('WBEM_UNAUTHENTICATED_BIND', `refusing to listen on ${host} without a users file: anyone could manage this host; give --users or bind 127.0.0.1`);
    }
    if (options.port === undefined && options.httpsPort === undefined) throw new WbemServerError('WBEM_LISTEN', 'neither an HTTP nor an HTTPS port was given');
    this.registerInterop();
    const app = createWbemApp({
      core: this, users: this.options.users, throttle: this.throttle, maxRequestBytes: this.options.maxRequestBytes ?? 16 * 1024 * 1024,
      onError: (e) => this.log(`request failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`),
      ...(this.options.traceResponse ? { traceResponse: this.options.traceResponse } : {}),
    });
    const { headersTimeout, idleTimeout } = this.timeouts();
    const server = http.createServer({
      keepAliveTimeout: idleTimeout, requestTimeout: this.options.requestTimeoutMs ?? 300_000, headersTimeout,
      // The sweep runs this often, so a slow head is cut at most this long after its deadline.
      connectionsCheckingInterval: Math.min(1_000, Math.max(50, Math.floor(headersTimeout / 10))),
    }, app.callback());
    // Connections reach this server by 'connection' events, never by its own listen(); the
    // 'listening' event is what starts its checks of slow headers and slow requests.
    server.emit('listening');
    server.on('clientError', (err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Duplex) => this.refuse(socket, parserErrorResponse(err.code, err.rawPacket)));
    this.httpServer = server;
    const out: ListeningAddresses = {};
    const display = host.includes(':') ? `[${host}]` : host;
    if (options.port !== undefined) {
      const l = net.createServer((socket) => this.accept(socket));
      out.http = `http://${display}:${await this.bind(l, options.port, host)}`;
    }
    if (options.httpsPort !== undefined) {
      if (!options.cert || !options.key) throw new WbemServerError('WBEM_TLS_CONFIG', 'HTTPS needs both a certificate and a key');
      let secureContext: tls.SecureContext;
      try {
        secureContext = tls.createSecureContext({ cert: pem(options.cert), key: pem(options.key) });
      } catch (e) {
        throw new WbemServerError('WBEM_TLS_CONFIG', `cannot use the certificate/key: ${(e as Error).message}`);
      }
      const l = net.createServer((raw) => this.handshake(raw, secureContext, headersTimeout));
      out.https = `https://${display}:${await this.bind(l, options.httpsPort, host)}`;
    }
    return out;
  }

  private timeouts(): { headersTimeout: number; idleTimeout: number } {
    const headersTimeout = this.options.headersTimeoutMs ?? 60_000;
    return { headersTimeout, idleTimeout: Math.min(this.options.idleTimeoutMs ?? 30_000, headersTimeout) };
  }

  /**
   * Answers a request the HTTP parser gave up on (malformed, too large, too slow) and closes the
   * connection. end() alone only half-closes it: a client that neither reads the answer nor
   * closes its side would keep the connection, and its descriptor, for as long as it likes. It
   * gets a moment to read the answer and hang up itself (closing under unread data would reset
   * the connection, and the reset can overtake the answer), then the connection is destroyed.
   */
  private refuse(socket: Duplex, { status, reason }: { status: number; reason: string }): void {
    const response = (socket as { _httpMessage?: http.ServerResponse })._httpMessage;
    // A reply already under way cannot take a status line in its middle.
    if (!socket.writable || response?.headersSent) {
      socket.destroy();
      return;
    }
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    const linger = setTimeout(() => socket.destroy(), Math.min(REFUSED_LINGER_MS, this.timeouts().headersTimeout));
    linger.unref();
    socket.once('close', () => clearTimeout(linger));
  }

  private bind(l: net.Server, port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      l.once('error', (e) => reject(new WbemServerError('WBEM_LISTEN', `cannot listen on ${host}:${port}: ${e.message}`)));
      l.listen(port, host, () => {
        this.listeners.push(l);
        resolve((l.address() as net.AddressInfo).port);
      });
    });
  }

  /**
   * Runs the TLS handshake of an HTTPS connection, then accept()s it. The handshake must be done
   * within `deadlineMs` of the connection: the TLS server's own handshakeTimeout is an inactivity
   * timer, which a client sending one byte at a time restarts with every byte.
   */
  private handshake(raw: net.Socket, secureContext: tls.SecureContext, deadlineMs: number): void {
    if (this.closed) {
      raw.destroy();
      return;
    }
    raw.on('error', () => raw.destroy());
    const socket = new tls.TLSSocket(raw, { isServer: true, secureContext, requestCert: false, rejectUnauthorized: false });
    // A failed handshake concerns that client only.
    socket.on('error', () => socket.destroy());
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    const deadline = setTimeout(() => socket.destroy(), deadlineMs);
    deadline.unref();
    socket.once('close', () => clearTimeout(deadline));
    socket.once('secure', () => {
      clearTimeout(deadline);
      this.accept(socket);
    });
  }

  /** Hands a connection to the HTTP server, through the M-POST rewriter when it opens with M-POST. */
  private accept(socket: net.Socket): void {
    if (this.closed || !this.httpServer) {
      socket.destroy();
      return;
    }
    socket.on('error', () => socket.destroy());
    // Replies go out as head + body writes; Nagle would hold the second until the client's
    // delayed ACK (40 ms per request on keep-alive connections).
    socket.setNoDelay(true);
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    // Until its first bytes arrive the connection is not the HTTP server's: the idle timeout is
    // ours to apply. Once handed over, the HTTP server's header, request and keep-alive timeouts
    // bound it, all counted from the first byte of each request.
    const silent = (): void => { socket.destroy(); };
    socket.setTimeout(this.timeouts().idleTimeout, silent);
    socket.once('data', (first: Buffer) => {
      socket.setTimeout(0);
      socket.off('timeout', silent);
      socket.pause();
      socket.unshift(first);
      let conn: Duplex = socket;
      // "M-" can only start M-POST (or garbage the parser refuses either way).
      if (first.length >= 2 && first[0] === 0x4d && first[1] === 0x2d) {
        conn = new MPostRewriter(socket);
      }
      this.httpServer!.emit('connection', conn);
      socket.resume();
    });
  }

  /** Stops listening, drops connections, closes enumerations, providers and the indication pipeline. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const stopped = Promise.all(this.listeners.map((l) => new Promise<void>((r) => l.close(() => r()))));
    // Stops the HTTP server's connection checks (it never listened itself, so close reports that; ignored).
    this.httpServer?.close(() => undefined);
    // Listeners only finish closing once their connections are gone.
    for (const s of this.sockets) s.destroy();
    await stopped;
    this.enumerations.closeAll();
    await this.indications?.close();
    for (const p of this.providers.all()) await p.close?.();
  }
}
