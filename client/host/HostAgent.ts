// A tvdc host agent in this process, built the one way tvdc-host builds it: the project schema
// (plus any extra MOF), the host's SQLite store, the WBEM server, its indications and the TVDc
// providers; then listening, and stopping in the order that lets each part let go of the next.
//
//   const agent = await HostAgent.open({ name: 'h1', stateDir: '/var/lib/tvdc', vtpm: 'swtpm' });
//   const { http } = await agent.listen({ port: 5988, host: '127.0.0.1' });
//   ...
//   await agent.stop();
import { join } from 'node:path';
import { CimRepository } from '../../src/cim/CimRepository.js';
import { compileMof, projectMofFiles } from '../../src/mof/index.js';
import { makePrivateDir } from '../../src/store/privateDir.js';
import { openStore, type Db } from '../../src/store/Store.js';
import type { IndicationSink } from '../../src/wbem/Provider.js';
import type { UserDirectory } from '../../src/wbem/UserDirectory.js';
import { WbemServer, type ListenOptions, type ListeningAddresses } from '../../src/wbem/WbemServer.js';
import { attachIndications, type IndicationServiceOptions } from '../../src/wbem/indications/index.js';
import { registerProviders } from '../../providers/index.js';
import { parseManagerPublicKey } from '../../src/tvdc/MigrationAuthorization.js';

export interface HostAgentOptions {
  /** The host's name (`--name`): SystemName of its CIM objects. */
  name: string;
  /** The state directory (`--state`), made when missing, its database `host.db`; null keeps everything in memory. */
  stateDir: string | null;
  /** How VMs get vTPMs (`--vtpm`). */
  vtpm: 'swtpm' | 'off';
  /** The hypervisor driver (`--hypervisor`); default `sim`. */
  hypervisor?: string;
  /** Users and roles (`--users`); without them only loopback is served, to everyone as admin. */
  users?: UserDirectory | null;
  /**
   * The management server's Ed25519 public key, PEM (`--manager-key`): a caller that is not an
   * admin migrates a VM only with that server's MigrationAuthorization; without it, not at all.
   */
  managerKey?: string | null;
  /** Extra MOF files (`--mof`), each compiled after the project schema, into root/cimv2 unless it says otherwise. */
  mof?: readonly string[];
  /** Where the server reports faults (default: console.error). */
  log?: (message: string) => void;
  /** Sees every CIM-XML response body the server sends; for tests. */
  traceResponse?: (xml: string) => void;
  /**
   * Where emitted indications go: by default the DSP1054 indication service, which delivers them
   * to subscribed listeners (options for it here), or `{ sink }`, which takes them instead.
   */
  indications?: Partial<IndicationServiceOptions> | { sink: IndicationSink };
}

export class HostAgentError extends Error {
  override readonly name = 'HostAgentError';
  /** HOST_MOF: the schema did not compile; `details` holds every error as `file:line:col: message`. */
  constructor(readonly code: 'HOST_MOF', message: string, readonly details: readonly string[] = []) {
    super(message);
  }
}

/** The project schema and the extra MOF compiled into a new repository; every error of all of them at once. */
function compileSchema(extra: readonly string[]): CimRepository {
  const repository = new CimRepository();
  const errors = [...compileMof({ files: projectMofFiles(), repository }).errors];
  for (const f of extra) errors.push(...compileMof({ files: [f], repository, defaultNamespace: 'root/cimv2' }).errors);
  if (errors.length > 0) {
    const details = errors.map((e) => e.toString());
    throw new HostAgentError('HOST_MOF', details.join('\n'), details);
  }
  return repository;
}

export class HostAgent {
  private stopped = false;

  private constructor(
    readonly server: WbemServer,
    private readonly store: Db,
    private readonly release: () => Promise<void>,
  ) {}

  /**
   * Builds the agent, not yet listening. Each agent compiles its own repository: the server
   * stores instances in it, so two agents may not share one.
   */
  static async open(options: HostAgentOptions): Promise<HostAgent> {
    const repository = compileSchema(options.mof ?? []);
    if (options.stateDir) {
      // Disk images and host.db (subscriptions carry the server's secret indication URLs) are
      // the host's alone. The disk directory is made here, private, before the providers use it.
      const { openMode } = makePrivateDir(options.stateDir);
      // Logged as the server logs (stderr by default).
      if (openMode !== undefined)
        (options.log ?? ((m: string) => console.error(m)))(`state directory ${options.stateDir} is open to other users (mode ${openMode.toString(8)}); what tvdc-host creates in it is private, but chmod 700 it to keep others from the rest`);
      makePrivateDir(join(options.stateDir, 'disks'));
    }
    // Checked before anything is opened: a wrong file is a start-up error, not a host that refuses later.
    const managerKey = options.managerKey ? parseManagerPublicKey(options.managerKey, 'the manager key (--manager-key)') : null;
    const store = openStore(options.stateDir ? join(options.stateDir, 'host.db') : ':memory:');
    let server: WbemServer | undefined;
    try {
      server = new WbemServer({
        repository, store, name: options.name, users: options.users ?? null,
        // The host as the System Virtualization profile models it: the system the interop
        // namespace's services (object manager, indication service) are scoped to.
        hostSystem: { className: 'TVDc_HostSystem', namespace: 'root/tvdc' },
        ...(options.log ? { log: options.log } : {}),
        ...(options.traceResponse ? { traceResponse: options.traceResponse } : {}),
      });
      const indications = options.indications ?? {};
      if ('sink' in indications) server.attachIndications(indications.sink);
      else attachIndications(server, indications);
      const release = await registerProviders(server, {
        name: options.name, stateDir: options.stateDir, hypervisor: options.hypervisor ?? 'sim', vtpm: options.vtpm, store, managerKey,
      });
      return new HostAgent(server, store, release);
    } catch (e) {
      await server?.close();
      store.close();
      throw e;
    }
  }

  /** open() then listen(); an agent that cannot listen is stopped again. */
  static async start(options: HostAgentOptions, listen: ListenOptions): Promise<{ agent: HostAgent; urls: ListeningAddresses }> {
    const agent = await HostAgent.open(options);
    try {
      return { agent, urls: await agent.listen(listen) };
    } catch (e) {
      await agent.stop();
      throw e;
    }
  }

  /** Starts serving; may be called again after it failed (e.g. on another port). */
  listen(options: ListenOptions): Promise<ListeningAddresses> {
    return this.server.listen(options);
  }

  /**
   * Stops serving first, so no request reaches a provider that is letting go of its VMs and
   * vTPMs, then releases the providers, then closes the store they wrote to. Idempotent.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.server.close();
    await this.release();
    this.store.close();
  }
}
