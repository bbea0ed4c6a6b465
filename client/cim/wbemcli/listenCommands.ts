// tvdc-cim's indication verbs: `listen` runs a listener and prints each indication as it arrives
// (wbemcli's instance line, or JSON with --json); `subscribe`/`unsubscribe` manage the filter,
// destination and subscription on a server.
import { IndicationListener, type IndicationListenerOptions } from '../../listener/IndicationListener.js';
import { INTEROP_NAMESPACE, subscribe, unsubscribe } from '../../listener/Subscriptions.js';
import { objectToJson } from '../JsonForm.js';
import { WbemConnection } from '../WbemConnection.js';
import { CommandError } from './CommandError.js';
import type { CommandIo } from './TvdcCimCommand.js';
import type { CliArgs } from './WbemcliArgs.js';
import { instanceText } from './WbemcliFormat.js';
import { parseWbemcliTarget } from './WbemcliTarget.js';

export async function runListen(a: CliArgs, io: CommandIo): Promise<number> {
  const options: IndicationListenerOptions = { port: a.port ?? 5990, host: a.host ?? '0.0.0.0' };
  if (a.cert || a.key) {
    if (!a.cert || !a.key) throw new CommandError('--cert and --key go together');
    options.tls = { certFile: a.cert, keyFile: a.key };
  }
  if (a.url !== undefined) {
    // `listen /path`: accept only on that path.
    if (!a.url.startsWith('/')) throw new CommandError('listen takes an optional path starting with /');
    options.path = a.url;
  }
  const listener = new IndicationListener(options);
  let count = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((r) => { done = r; });
  listener.onIndication(async (ind, ctx) => {
    if (a.json) {
      await io.out(`${JSON.stringify({ receivedAt: ctx.receivedAt.toISOString(), from: ctx.remoteAddress ?? null, indication: objectToJson(ind) })}\n`);
    } else {
      await io.out(`${ind.className}${a.newLines ? '\n' : ' '}${instanceText(ind, [], { newLines: a.newLines, types: a.types, delimitRefs: a.delimitRefs })}\n`);
    }
    count++;
    if (a.count !== undefined && count >= a.count) done();
  });
  const url = await listener.start();
  io.err(`listening on ${url}\n`);
  io.stopSignal?.addEventListener('abort', () => done(), { once: true });
  await finished;
  await listener.close();
  return 0;
}

export async function runSubscribe(a: CliArgs, io: CommandIo): Promise<number> {
  if (!a.url) throw new CommandError('No URL specified');
  const t = parseWbemcliTarget(a.url);
  // The filter, destination and subscription live in the interop namespace; wbemcli's root/cimv2
  // default holds none of them.
  const interop = t.namespaceGiven ? t.namespace : INTEROP_NAMESPACE;
  const conn = new WbemConnection(t.origin, {
    namespace: interop,
    ...(t.user !== undefined ? { user: t.user, password: t.password ?? '' } : {}),
    tls: { noVerify: a.noVerify, ...(a.caCert ? { caFile: a.caCert } : {}), ...(a.clientCert ? { certFile: a.clientCert } : {}), ...(a.clientKey ? { keyFile: a.clientKey } : {}) },
  });
  const name = a.name ?? 'tvdc-cim';
  try {
    if (a.verb === 'unsubscribe') {
      const n = await unsubscribe(conn, { name, interopNamespace: interop });
      await io.out(`removed ${n}\n`);
      return 0;
    }
    if (!a.destination) throw new CommandError('subscribe needs --destination <listener-url>');
    // Without --source-namespace, subscribe's default (root/tvdc) applies.
    const s = await subscribe(conn, {
      name, destination: a.destination, interopNamespace: interop,
      ...(a.sourceNamespace !== undefined ? { sourceNamespace: a.sourceNamespace } : {}), ...(a.query ? { query: a.query } : {}), ...(a.queryLanguage ? { queryLanguage: a.queryLanguage } : {}),
    });
    if (a.json) {
      await io.out(`${JSON.stringify({ filter: s.filter.toString(), destination: s.destination.toString(), subscription: s.subscription.toString(), reused: s.reused })}\n`);
    } else {
      await io.out(`${s.subscription.toString()}\n`);
    }
    return 0;
  } finally {
    await conn.close();
  }
}
