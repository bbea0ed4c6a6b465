// tvdc-cim's command logic, apart from the process so tests can run it in-process: wbemcli's verbs
// with its checks, output and exit codes (0 on success, 16 on any error), plus eq, --pull, --json,
// listen and subscribe.
import { CimClass } from '../../../src/cim/CimClass.js';
import { CimError, CimStatus } from '../../../src/cim/CimError.js';
import { CimInstance } from '../../../src/cim/CimInstance.js';
import { CimObjectPath } from '../../../src/cim/CimObjectPath.js';
import { CimProperty } from '../../../src/cim/CimProperty.js';
import type { CimValue } from '../../../src/cim/CimValue.js';
import { ClientError, ResponseParseError } from '../ClientError.js';
import type { ConnectionOptions } from '../ConnectionOptions.js';
import { objectToJson, valueToJson, type Json } from '../JsonForm.js';
import { WbemConnection } from '../WbemConnection.js';
import { parseAssignments, typedValue, type Declaration } from './Assignments.js';
import { CommandError } from './CommandError.js';
import { parseCliArgs, USAGE, WBEMCLI_VERBS, type CliArgs } from './WbemcliArgs.js';
import {
  classText, instanceNameText, instancePathText, instanceText, methodResultText, type FormatOptions,
} from './WbemcliFormat.js';
import { parseWbemcliTarget, type WbemcliTarget } from './WbemcliTarget.js';
import { runListen, runSubscribe } from './listenCommands.js';

/** Where the command writes; a test passes collectors, the binary passes the process streams. */
export interface CommandIo {
  /** May return a promise that settles when the text was taken (stdout backpressure). */
  out(text: string): void | Promise<void>;
  err(text: string): void;
  /** Resolves when the command should stop (listen): SIGINT in the binary. */
  stopSignal?: AbortSignal;
}

/** wbemcli's exit status for every failure. */
export const EXIT_ERROR = 16;
export const VERSION = '0.1.0';

const EXTRA_ALLOWED = new Set(['ci', 'gi', 'gc', 'gp', 'sp', 'ei', 'ai', 'ri', 'cm', 'cmx', 'mi', 'eq']);
const EXTRA_REQUIRED = new Set(['ci', 'gp', 'sp', 'cm', 'mi', 'eq']);
const ASSOC_VERBS = new Set(['ai', 'ain', 'ri', 'rin']);

function errorBlock(prog: string, message: string): string {
  // wbemcli frames messages with '*' lines; a multi-line message keeps the frame on each line.
  return `*\n* ${prog}: ${message.replace(/\n(?!\*)/g, '\n* ')}\n*\n`;
}

/** How a tvdc-cim user mends what the client library reports: with tvdc-cim's own options. */
const HINTS: Partial<Record<ClientError['code'], string>> = {
  TLS: "give the server's CA with -cacert (or, for testing only, -noverify)",
  AUTH_REQUIRED: 'give the right user and password (http://user:password@host:port/...)',
};

/** The user-facing text of any failure, in wbemcli's categories. */
export function describeError(e: unknown): string {
  if (e instanceof CimError) {
    const name = CimStatus[e.status] ?? 'Invalid/Unknown CIM Error Code';
    const desc = e.description.startsWith('CIM_') ? e.description : `${name}: ${e.description}`;
    return `Cim: (${e.status}) ${desc}`;
  }
  if (e instanceof CommandError) return `${e.category} Exception: ${e.message}`;
  if (e instanceof ResponseParseError) return `Parse Exception: ${e.message}`;
  if (e instanceof ClientError && e.code === 'INVALID_ARGUMENT') return `Cmd Exception: ${e.message}`;
  if (e instanceof ClientError) return `Http Exception: ${e.messageWith(HINTS[e.code])}`;
  return `what happened? ${(e as Error)?.message ?? String(e)}`;
}

export async function runTvdcCim(argv: readonly string[], io: CommandIo, prog = 'tvdc-cim'): Promise<number> {
  let args: CliArgs;
  try {
    args = parseCliArgs(argv);
  } catch (e) {
    io.err(`${prog}: Invalid invocation syntax: ${(e as Error).message}\n${USAGE}`);
    return EXIT_ERROR;
  }
  if (args.version) {
    io.err(`* ${prog} Version ${VERSION} (wbemcli 1.6.3 compatible)\n`);
    return 0;
  }
  if (args.help) {
    io.err(USAGE);
    return 0;
  }
  try {
    if (args.verb === 'listen') return await runListen(args, io);
    if (args.verb === 'subscribe' || args.verb === 'unsubscribe') return await runSubscribe(args, io);
    if (args.more.length > 0) {
      io.err(`${prog}: Invalid invocation syntax\n${USAGE}`);
      return EXIT_ERROR;
    }
    await runVerb(args, io);
    return 0;
  } catch (e) {
    io.err(errorBlock(prog, describeError(e)));
    return EXIT_ERROR;
  }
}

function connect(t: WbemcliTarget, a: CliArgs, io: CommandIo, captured?: { text: string }): WbemConnection {
  const options: ConnectionOptions = { namespace: t.namespace, tls: { noVerify: a.noVerify } };
  if (t.user !== undefined) { options.user = t.user; options.password = t.password ?? ''; }
  if (a.caCert) options.tls!.caFile = a.caCert;
  if (a.clientCert) options.tls!.certFile = a.clientCert;
  if (a.clientKey) options.tls!.keyFile = a.clientKey;
  if (a.timeoutSeconds !== undefined) {
    const ms = Math.round(a.timeoutSeconds * 1000);
    options.timeouts = { connect: ms, headers: ms, body: ms };
  }
  if (a.dumpXml || captured) {
    options.trace = (dir, data) => {
      const text = typeof data === 'string' ? data : data.toString('utf8');
      if (captured && dir === 'response') captured.text += text;
      if (a.dumpXml) io.err(`${dir === 'request' ? 'To server: ' : 'From server: '}${text}\n`);
    };
  }
  return new WbemConnection(t.origin, options);
}

/** `host:port/ns`, the prefix wbemcli puts before names it got without a host. */
function urlPrefix(t: WbemcliTarget): string {
  return `${t.host}:${t.port}/${t.namespace}`;
}

/** The URL as wbemcli echoes it: for gi every key quoted, for cm keys as typed (and -t marks them). */
function urlWithKeys(t: WbemcliTarget, quoteAll: boolean, markKeys = false): string {
  let s = `${urlPrefix(t)}:${t.className}`;
  if (t.keys.length > 0 || quoteAll) {
    s += '.' + t.keys.map((k) => `${k.name}${markKeys ? '#' : ''}=${k.quoted || quoteAll ? `"${k.text}"` : k.text}`).join(',');
  }
  return s;
}

function propertyList(extra: string | undefined): string[] | undefined {
  return extra === undefined ? undefined : extra.split(',').filter((s) => s.length > 0);
}

function between(text: string, open: string, close: string): string {
  const s = text.indexOf(open);
  const e = text.lastIndexOf(close);
  if (s < 0 || e < s) return '';
  return text.slice(s + open.length, e);
}

async function runVerb(a: CliArgs, io: CommandIo): Promise<void> {
  if (!a.verb) throw new CommandError('No operation specified');
  if (!a.url) throw new CommandError('No URL specified');
  const verb = a.verb;
  if (!(WBEMCLI_VERBS as readonly string[]).includes(verb) && verb !== 'eq') throw new CommandError('Invalid operation');
  const t = parseWbemcliTarget(a.url);
  if (a.extra !== undefined && !EXTRA_ALLOWED.has(verb)) throw new CommandError('Invalid command invocation 1');
  if (a.extra === undefined && EXTRA_REQUIRED.has(verb)) throw new CommandError('Invalid command invocation 2');
  const assocGiven = a.assocClass !== undefined || a.resultClass !== undefined || a.role !== undefined || a.resultRole !== undefined;
  if (assocGiven && !ASSOC_VERBS.has(verb)) throw new CommandError('Invalid command invocation');
  if ((verb === 'ri' || verb === 'rin') && (a.assocClass !== undefined || a.resultRole !== undefined)) {
    throw new CommandError('Invalid command invocation');
  }
  if (verb !== 'ecn' && verb !== 'ec' && verb !== 'eq' && t.className === '') throw new CommandError('Class name not specified');
  if (['gi', 'ci', 'mi', 'di', 'gp', 'sp'].includes(verb) && t.keys.length === 0) throw new CommandError('Keys not specified');

  const fo: FormatOptions = { newLines: a.newLines, types: a.types, delimitRefs: a.delimitRefs };
  const sep = a.newLines ? '\n' : ' ';
  const captured = verb === 'gcd' || verb === 'cmx' ? { text: '' } : undefined;
  const conn = connect(t, a, io, captured);
  // Awaited, so a slow reader of stdout slows the enumeration instead of filling memory.
  const line = async (s: string): Promise<void> => { await io.out(`${s}\n`); };
  const json = async (j: Json): Promise<void> => { await io.out(`${JSON.stringify(j)}\n`); };
  try {
    switch (verb) {
      case 'gi': {
        const inst = await conn.getInstance(t.path, { localOnly: false, includeQualifiers: false, includeClassOrigin: true, propertyList: propertyList(a.extra) });
        if (a.json) return await json(objectToJson(inst));
        await line(`${urlWithKeys(t, true)}${sep}${instanceText(inst, t.keys.map((k) => k.name), fo)}`);
        return;
      }
      case 'ei': {
        const opts = { deepInheritance: true, localOnly: false, includeQualifiers: false, includeClassOrigin: true, propertyList: propertyList(a.extra) };
        const stream = a.pull !== undefined
          ? conn.pullInstances(t.className, { deepInheritance: true, includeClassOrigin: true, propertyList: opts.propertyList, maxObjectCount: a.pull })
          : conn.enumerateInstances(t.className, opts);
        for await (const inst of stream) {
          if (a.json) { await json(objectToJson(inst)); continue; }
          const p = inst.path ?? new CimObjectPath(inst.className, null);
          await line(`${urlPrefix(t)}:${instanceNameText(p, fo)}${sep}${instanceText(inst, p.keys?.names() ?? [], fo)}`);
        }
        return;
      }
      case 'ein': {
        const stream = a.pull !== undefined ? conn.pullInstancePaths(t.className, { maxObjectCount: a.pull }) : conn.enumerateInstanceNames(t.className);
        for await (const p of stream) {
          if (a.json) { await json(objectToJson(p)); continue; }
          await line(`${urlPrefix(t)}:${instanceNameText(p, fo)}`);
        }
        return;
      }
      case 'gc': {
        const cls = await conn.getClass(t.className, { localOnly: false, includeQualifiers: true, includeClassOrigin: true, propertyList: propertyList(a.extra) });
        if (a.json) return await json(objectToJson(cls));
        await line(`${urlPrefix(t)}:${t.className}${sep}${classText(cls, fo)}`);
        return;
      }
      case 'gcd': {
        const cls = await conn.getClass(t.className, { localOnly: false, includeQualifiers: false, includeClassOrigin: false });
        if (a.json) return await json(objectToJson(cls));
        await line(between(captured!.text, '<IRETURNVALUE>', '</IRETURNVALUE>'));
        return;
      }
      case 'dc':
        await conn.deleteClass(t.className);
        return;
      case 'ec': {
        const stream = conn.enumerateClasses(t.className || null, { deepInheritance: true, localOnly: false, includeQualifiers: false, includeClassOrigin: true });
        for await (const cls of stream) {
          if (a.json) { await json(objectToJson(cls)); continue; }
          const head = a.newLines ? `${urlPrefix(t)}:${cls.name} : ${cls.superclass ?? ''}\n` : `${urlPrefix(t)}:${cls.name} `;
          await line(head + classText(cls, fo));
        }
        return;
      }
      case 'ecn': {
        for await (const name of conn.enumerateClassNames(t.className || null, { deepInheritance: true })) {
          if (a.json) { await json(objectToJson(name)); continue; }
          await line(`${urlPrefix(t)}:${name}`);
        }
        return;
      }
      case 'ci': {
        const cls = await conn.getClass(t.className, { localOnly: false, includeQualifiers: true, includeClassOrigin: true });
        const inst = new CimInstance(cls.name);
        const given = assign(cls, a.extra ?? '');
        // The URL's keys are properties too: wbemcli users give them once, in the URL.
        for (const k of t.path.keys?.values() ?? []) {
          const decl = cls.properties.get(k.name);
          if (!decl || given.has(k.name)) continue;
          given.set(decl.name, { decl, value: typedValue({ name: k.name, values: [{ text: textOfKey(k.value), quoted: true }] }, declOf(decl)) });
        }
        for (const { decl, value } of given.values()) inst.properties.set(decl.name, new CimProperty(decl.name, decl.type, value, decl.isArray, undefined, decl.referenceClass));
        const path = await conn.createInstance(inst);
        if (a.json) return await json(objectToJson(path));
        await line(`${urlPrefix(t)}:${instanceNameText(path, fo)}`);
        return;
      }
      case 'mi': {
        const inst = await conn.getInstance(t.path, { localOnly: false, includeQualifiers: false, includeClassOrigin: true });
        const decls = new Map<string, Declaration>();
        for (const p of inst.properties.values()) decls.set(p.name.toLowerCase(), { name: p.name, type: p.type, isArray: p.isArray });
        const list = parseAssignments(a.extra ?? '', (n) => decls.has(n.toLowerCase()));
        const unknown = list.filter((x) => !decls.has(x.name.toLowerCase())).map((x) => x.name);
        if (unknown.length) throw new CommandError(`Undefined attribute(s) specified: ${unknown.join(', ')}`);
        for (const x of list) {
          const d = decls.get(x.name.toLowerCase())!;
          inst.properties.get(d.name)!.value = typedValue(x, d);
        }
        inst.path = t.path;
        await conn.modifyInstance(inst);
        return;
      }
      case 'di':
        await conn.deleteInstance(t.path);
        return;
      case 'gp': {
        const v = await conn.getProperty(t.path, a.extra!);
        if (a.json) return await json(valueToJson(v));
        // A NULL property prints nothing at all; an empty string prints an empty line (as wbemcli).
        if (v === null) return;
        await line(rawValueText(v));
        return;
      }
      case 'sp': {
        const cls = await conn.getClass(t.className, { localOnly: false, includeQualifiers: true, includeClassOrigin: true });
        const given = assign(cls, a.extra!);
        if (given.size !== 1) throw new CommandError('sp takes exactly one property=value');
        const [{ decl, value }] = [...given.values()];
        await conn.setProperty(t.path, decl!.name, value!, decl!.type);
        return;
      }
      case 'ai': case 'ri': {
        const base = { includeQualifiers: false, includeClassOrigin: true, propertyList: propertyList(a.extra) };
        const assoc = { assocClass: a.assocClass, resultClass: a.resultClass, role: a.role, resultRole: a.resultRole };
        const refs = { resultClass: a.resultClass, role: a.role };
        const pull = { includeClassOrigin: true, propertyList: base.propertyList, maxObjectCount: a.pull };
        let stream: AsyncIterable<CimInstance | CimClass>;
        if (a.pull !== undefined) {
          stream = verb === 'ai' ? conn.pullAssociatorInstances(t.path, { ...pull, ...assoc }) : conn.pullReferenceInstances(t.path, { ...pull, ...refs });
        } else {
          stream = verb === 'ai' ? conn.associators(t.path, { ...base, ...assoc }) : conn.references(t.path, { ...base, ...refs });
        }
        for await (const o of stream) {
          if (a.json) { await json(objectToJson(o)); continue; }
          if (o instanceof CimClass) { await line(`${o.name}${sep}${classText(o, fo)}`); continue; }
          const p = o.path ?? new CimObjectPath(o.className, null);
          await line(`${instancePathText(p, fo)}${sep}${instanceText(o, p.keys?.names() ?? [], fo)}`);
        }
        return;
      }
      case 'ain': case 'rin': {
        const assoc = { assocClass: a.assocClass, resultClass: a.resultClass, role: a.role, resultRole: a.resultRole };
        const refs = { resultClass: a.resultClass, role: a.role };
        let stream: AsyncIterable<CimObjectPath>;
        if (a.pull !== undefined) {
          const max = { maxObjectCount: a.pull };
          stream = verb === 'ain' ? conn.pullAssociatorInstancePaths(t.path, { ...max, ...assoc }) : conn.pullReferenceInstancePaths(t.path, { ...max, ...refs });
        } else {
          stream = verb === 'ain' ? conn.associatorNames(t.path, assoc) : conn.referenceNames(t.path, refs);
        }
        for await (const p of stream) {
          if (a.json) { await json(objectToJson(p)); continue; }
          await line(instancePathText(p, fo));
        }
        return;
      }
      case 'cm': case 'cmx': {
        const spec = a.extra ?? '';
        const dot = spec.indexOf('.');
        const method = dot < 0 ? spec : spec.slice(0, dot);
        if (!method) throw new CommandError('No method name specified');
        const cls = await conn.getClass(t.className, { localOnly: false, includeQualifiers: true, includeClassOrigin: true });
        const m = cls.methods.get(method);
        if (!m) throw new CommandError(`Method ${method} not defined in class ${cls.name}`);
        const decls = new Map<string, Declaration>();
        for (const p of m.parameters.values()) decls.set(p.name.toLowerCase(), { name: p.name, type: p.type, isArray: p.isArray });
        const list = dot < 0 ? [] : parseAssignments(spec.slice(dot + 1), (n) => decls.has(n.toLowerCase()));
        const args: [string, { type: Declaration['type']; value: CimValue; isArray: boolean }][] = [];
        for (const x of list) {
          const d = decls.get(x.name.toLowerCase());
          if (!d) throw new CommandError(`Undefined parameter(s) specified: ${x.name}`);
          args.push([d.name, { type: d.type, value: typedValue(x, d), isArray: d.isArray }]);
        }
        const target = t.keys.length ? t.path : new CimObjectPath(t.className, null, t.namespace);
        // cmx prints the method response alone, not the GetClass answer before it.
        if (captured) captured.text = '';
        let r;
        try {
          r = await conn.invokeMethod(target, m.name, args);
        } catch (e) {
          // cmx shows whatever METHODRESPONSE came back, an ERROR included, and succeeds.
          if (verb === 'cmx' && e instanceof CimError) { await line(between(captured!.text, '<SIMPLERSP>', '</SIMPLERSP>')); return; }
          throw e;
        }
        if (a.json) {
          const out: { [k: string]: Json } = {};
          for (const p of r.outParams.values()) out[p.name] = valueToJson(p.value);
          return await json({ returnValue: valueToJson(r.returnValue), outParams: out });
        }
        if (verb === 'cmx') { await line(between(captured!.text, '<SIMPLERSP>', '</SIMPLERSP>')); return; }
        // A METHODRESPONSE without RETURNVALUE or out parameters prints nothing, as in wbemcli.
        if (r.returnValue === null && r.returnType === undefined && r.outParams.size === 0) return;
        await line(`${urlWithKeys(t, false, a.types)} ${methodResultText(m.name, r, fo)}`);
        return;
      }
      case 'eq': {
        const lang = a.queryLanguage ?? 'WQL';
        const stream = a.pull !== undefined
          ? conn.pullQueryInstances(lang, a.extra!, { maxObjectCount: a.pull })
          : conn.execQuery(lang, a.extra!);
        for await (const o of stream) {
          if (a.json) { await json(objectToJson(o)); continue; }
          if (o instanceof CimClass) { await line(`${urlPrefix(t)}:${o.name}${sep}${classText(o, fo)}`); continue; }
          const p = o.path;
          const head = p ? (p.host !== undefined ? instancePathText(p, fo) : `${urlPrefix(t)}:${instanceNameText(p, fo)}`) : `${urlPrefix(t)}:${o.className}`;
          await line(`${head}${sep}${instanceText(o, p?.keys?.names() ?? [], fo)}`);
        }
        return;
      }
    }
  } finally {
    await conn.close();
  }
}

function declOf(p: CimProperty): Declaration {
  return { name: p.name, type: p.type, isArray: p.isArray };
}

function textOfKey(v: unknown): string {
  if (v instanceof CimObjectPath) return v.toString();
  return String(v);
}

/** Property assignments typed by the class; unknown names fail as in wbemcli. */
function assign(cls: CimClass, text: string): Map<string, { decl: CimProperty; value: CimValue }> {
  const list = parseAssignments(text, (n) => cls.properties.has(n));
  const unknown = list.filter((x) => !cls.properties.has(x.name)).map((x) => x.name);
  if (unknown.length) throw new CommandError(`Undefined attribute(s) specified: ${unknown.join(', ')}`);
  const out = new Map<string, { decl: CimProperty; value: CimValue }>();
  for (const x of list) {
    const decl = cls.properties.get(x.name)!;
    out.set(decl.name, { decl, value: typedValue(x, declOf(decl)) });
  }
  return out;
}

/** gp prints the value bare: no quotes, array elements joined with commas. */
function rawValueText(v: CimValue): string {
  if (v === null) return '';
  const one = (x: unknown): string => (x === null ? '' : x instanceof CimObjectPath ? x.toString() : String(x));
  return Array.isArray(v) ? v.map(one).join(',') : one(v);
}
