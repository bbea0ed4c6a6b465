// The pywbem functiontest cases replayed byte for byte: each recorded HTTP request is sent to a
// server whose model matches the recording (classes and instances taken from the recorded answer,
// declared in CIM_-free classes of their own namespace; failures the recorded server returned
// are produced by providers that fail the same way), and the answer must be equivalent to the
// recorded one: same instances with the same paths and property values, same method result,
// same CIM error code. Cases whose recorded answer is deliberately malformed XML (pywbem's parser
// tests) must get a well-formed answer instead.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { CimClass } from '../../src/cim/CimClass.js';
import { CimError, CimStatus } from '../../src/cim/CimError.js';
import { CimInstance } from '../../src/cim/CimInstance.js';
import { CimMethod } from '../../src/cim/CimMethod.js';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import { CimParameter } from '../../src/cim/CimParameter.js';
import { CimProperty } from '../../src/cim/CimProperty.js';
import { CimQualifier } from '../../src/cim/CimQualifier.js';
import { CimRepository } from '../../src/cim/CimRepository.js';
import { NameMap } from '../../src/cim/NameMap.js';
import type { CimType } from '../../src/cim/CimType.js';
import { decodeMessage } from '../../src/xml/decodeMessage.js';
import { fromWireValue } from '../../src/xml/wireValue.js';
import type { CimXmlMessage, ReturnItem, SimpleRequest, SimpleResponse } from '../../src/xml/messages.js';
import { canonicalNamespace } from '../../src/wbem/namespaceName.js';
import { rawRequest, startServer, validateAgainstDtd, SHARED_FIXTURES, type TestServer } from './support/wbemTestKit.js';

interface Case {
  name: string;
  /** Set on cases pywbem itself does not run. */
  ignore_test?: boolean;
  pywbem_response?: { exception?: string };
  http_request: { verb: string; url: string; headers: Record<string, string>; data: string };
  http_response: { status: number; data?: string };
}

const DIR = join(SHARED_FIXTURES, 'cim/pywbem/functiontest');
const load = (f: string): Case[] => (YAML.parse(readFileSync(join(DIR, f), 'utf8')) as Case[]).filter((c) => !c.ignore_test);

function keyQualifier(): NameMap<CimQualifier> {
  return NameMap.from([new CimQualifier('Key', 'boolean', true)], (q) => q.name);
}

/** Declares `cls` from an instance (a subclass of the requested class when it differs): property types, keys from the path. */
function classFromInstance(repo: CimRepository, ns: string, inst: CimInstance, requested: string): void {
  const superclass = inst.className.toLowerCase() === requested.toLowerCase() ? null : requested;
  const existing = repo.hasClass(ns, inst.className) ? repo.getLocalClass(ns, inst.className) : new CimClass(inst.className, superclass);
  for (const p of inst.properties.values()) {
    if (existing.properties.has(p.name)) continue;
    const isKey = inst.path?.keys?.has(p.name) === true;
    existing.properties.set(p.name, new CimProperty(p.name, p.type, null, p.isArray, isKey ? keyQualifier() : new NameMap(), p.referenceClass));
  }
  for (const b of inst.path?.keys?.values() ?? []) {
    if (!existing.properties.has(b.name)) existing.properties.set(b.name, new CimProperty(b.name, b.type, null, false, keyQualifier()));
  }
  if (repo.hasClass(ns, inst.className)) repo.modifyClass(ns, existing);
  else repo.addClass(ns, existing);
}

/** A class declared from an instance path alone (keys typed as the path says). */
function classFromPath(repo: CimRepository, ns: string, path: CimObjectPath): void {
  const cls = new CimClass(path.className);
  for (const b of path.keys?.values() ?? []) cls.properties.set(b.name, new CimProperty(b.name, b.type, null, false, keyQualifier()));
  if (!repo.hasClass(ns, cls.name)) repo.addClass(ns, cls);
}

function returnedInstances(items: ReturnItem[] | null): CimInstance[] {
  const out: CimInstance[] = [];
  for (const it of items ?? []) {
    if (it.kind === 'INSTANCE' || it.kind === 'VALUE.NAMEDINSTANCE' || it.kind === 'VALUE.INSTANCEWITHPATH') out.push(it.instance);
  }
  return out;
}

function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (Array.isArray(v)) return `[${v.map(describeValue).join(',')}]`;
  if (v instanceof CimObjectPath) return v.toLocalString();
  if (typeof v === 'object' && 'text' in (v as object)) return String((v as { text: string }).text);
  return String(v);
}

/** What makes two answers equivalent: instances (class, local path, properties), method results, error codes. */
function summary(msg: CimXmlMessage, keysAsked: Set<string>): unknown {
  if (msg.kind !== 'SIMPLERSP') return { kind: msg.kind };
  const r = msg.response;
  if (r.error) return { error: r.error.status };
  if (r.kind === 'IMETHODRESPONSE') {
    return {
      instances: returnedInstances(r.returnValue).map((i) => ({
        className: i.className.toLowerCase(),
        path: i.path ? new CimObjectPath(i.path.className, i.path.keys).canonicalKey() : null,
        // Key properties are compared through the path (a recording may leave them out of the body).
        properties: Object.fromEntries(i.properties.values().filter((p) => !i.path?.keys?.has(p.name) && !keysAsked.has(p.name.toLowerCase())).map((p) => [p.name.toLowerCase(), describeValue(p.value)])),
      })).sort((a, b) => String(a.path).localeCompare(String(b.path))),
      other: (r.returnValue ?? []).filter((i) => !['INSTANCE', 'VALUE.NAMEDINSTANCE', 'VALUE.INSTANCEWITHPATH'].includes(i.kind)).length,
    };
  }
  const val = r.returnValue?.value;
  return {
    returnValue: val?.kind === 'VALUE' ? val.text.trim() : val ? 'ref' : null,
    out: Object.fromEntries(r.params.map((p) => [p.name.toLowerCase(), p.value?.kind === 'VALUE' ? p.value.text.trim() : p.value?.kind ?? null])),
  };
}

/** Builds the repository and providers a case's recording implies; returns them for the server. */
function modelFor(c: Case, request: SimpleRequest, recorded: SimpleResponse | null) {
  const repo = new CimRepository();
  const call = request.call;
  const ns = canonicalNamespace(call.kind === 'IMETHODCALL' ? call.namespace : call.target.namespace ?? '');
  const providers: Array<{ className: string; provider: object }> = [];
  const errorCode = recorded?.response.error?.status;
  if (errorCode === CimStatus.CIM_ERR_INVALID_NAMESPACE) return { repo, ns, providers };
  repo.createNamespace(ns);
  if (errorCode === CimStatus.CIM_ERR_INVALID_CLASS) return { repo, ns, providers };
  // The class the request names.
  let className: string;
  if (call.kind === 'IMETHODCALL') {
    const p = call.params.find((x) => x.name.toLowerCase() === 'classname' || x.name.toLowerCase() === 'instancename')!;
    const v = p.value!;
    className = v.kind === 'CLASSNAME' ? v.name : v.kind === 'INSTANCENAME' ? v.path.className : 'Unknown';
    if (v.kind === 'INSTANCENAME') classFromPath(repo, ns, v.path);
  } else {
    className = call.target.className;
    if (call.target.keys) classFromPath(repo, ns, call.target);
  }
  if (!repo.hasClass(ns, className)) repo.addClass(ns, new CimClass(className));
  const r = recorded?.response;
  if (r && !r.error && r.kind === 'IMETHODRESPONSE') {
    // GetInstance answers with a bare INSTANCE: its path is the one asked for.
    const asked = call.kind === 'IMETHODCALL' ? call.params.find((x) => x.name.toLowerCase() === 'instancename')?.value : undefined;
    const insts = returnedInstances(r.returnValue).map((i) => new CimInstance(i.className, i.properties, i.path ?? (asked?.kind === 'INSTANCENAME' ? asked.path : undefined)));
    for (const inst of insts) classFromInstance(repo, ns, inst, className);
    for (const inst of insts) {
      const props = inst.properties.clone();
      for (const b of inst.path?.keys?.values() ?? []) if (!props.has(b.name)) props.set(b.name, new CimProperty(b.name, b.type, b.value));
      repo.addInstance(ns, new CimInstance(inst.className, props, inst.path ? new CimObjectPath(inst.path.className, inst.path.keys) : undefined));
    }
  }
  if (call.kind === 'METHODCALL') {
    // The method as the request and the recorded answer show it; the provider returns the recorded result.
    const cls = repo.getLocalClass(ns, className);
    const params = new NameMap<CimParameter>();
    for (const p of call.params) params.set(p.name, new CimParameter(p.name, p.type ?? 'string', p.value?.kind === 'VALUE.ARRAY'));
    const resp = r?.kind === 'METHODRESPONSE' ? r : null;
    for (const p of resp?.params ?? []) {
      params.set(p.name, new CimParameter(p.name, p.type ?? 'string', p.value?.kind === 'VALUE.ARRAY', NameMap.from([new CimQualifier('In', 'boolean', false), new CimQualifier('Out', 'boolean', true)], (q) => q.name)));
    }
    const quals = NameMap.from([new CimQualifier('Static', 'boolean', !call.target.keys)], (q) => q.name);
    const returnType: CimType = resp?.returnValue?.type ?? 'uint32';
    cls.methods.set(call.name, new CimMethod(call.name, returnType, params, quals));
    repo.modifyClass(ns, cls);
    providers.push({
      className, provider: {
        invokeMethod: () => {
          if (errorCode) throw new CimError(errorCode, recorded!.response.error!.description);
          const rv = resp?.returnValue?.value ?? null;
          return {
            returnValue: rv === null ? null : fromWireValue(rv, returnType, false),
            outParams: (resp?.params ?? []).map((p) => ({ name: p.name, type: p.type ?? 'string', value: fromWireValue(p.value, p.type ?? 'string', p.value?.kind === 'VALUE.ARRAY') })),
          };
        },
      },
    });
  } else if (errorCode === CimStatus.CIM_ERR_ACCESS_DENIED || errorCode === CimStatus.CIM_ERR_FAILED) {
    // A provider that refuses or fails, as the recorded server's did.
    const fail = () => { throw new CimError(errorCode, r!.error!.description, r!.error!.instances); };
    providers.push({ className, provider: { enumerateInstances: fail, getInstance: fail } });
  } else if (errorCode === CimStatus.CIM_ERR_NOT_SUPPORTED) {
    providers.push({ className, provider: {} });
  }
  return { repo, ns, providers };
}

const FILES = ['getinstance.yaml', 'enumerateinstances.yaml', 'invokemethod.yaml'];

describe('wbem: pywbem functiontest requests replayed byte for byte', function () {
  this.timeout(60_000);
  const bodies: string[] = [];

  for (const file of FILES) {
    describe(file, () => {
      for (const c of load(file)) {
        it(`${c.name}`, async () => {
          const body = Buffer.from(c.http_request.data, 'utf8');
          const request = decodeMessage(body);
          expect(request.kind).to.equal('SIMPLEREQ');
          const malformed = c.pywbem_response?.exception === 'CIMXMLParseError';
          let recorded: SimpleResponse | null = null;
          if (!malformed) {
            const m = decodeMessage(c.http_response.data!);
            expect(m.kind).to.equal('SIMPLERSP');
            recorded = m as SimpleResponse;
          }
          const { repo, ns, providers } = modelFor(c, request as SimpleRequest, recorded);
          const s: TestServer = await startServer({ repository: repo });
          try {
            for (const p of providers) s.server.registerProvider(ns, p.className, p.provider);
            const url = new URL(c.http_request.url);
            const head = [`${c.http_request.verb} ${url.pathname} HTTP/1.1`, 'Host: 127.0.0.1', 'Content-Type: application/xml; charset="utf-8"',
              `Content-Length: ${body.length}`, ...Object.entries(c.http_request.headers).map(([k, v]) => `${k}: ${v}`), 'Connection: close'];
            const res = await rawRequest(s.port, Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`), body]));
            expect(res.status).to.equal(c.http_response.status);
            const answer = decodeMessage(res.body);
            bodies.push(res.body);
            if (malformed) {
              // The recording is broken on purpose; ours must be a proper response to the same call.
              expect(answer.kind).to.equal('SIMPLERSP');
              expect((answer as SimpleResponse).response.name).to.equal((request as SimpleRequest).call.name);
            } else {
              const call = (request as SimpleRequest).call;
              const asked = call.kind === 'IMETHODCALL' ? call.params.find((x) => x.name.toLowerCase() === 'instancename')?.value : undefined;
              const keys = new Set(asked?.kind === 'INSTANCENAME' ? asked.path.keys?.names().map((n) => n.toLowerCase()) ?? [] : []);
              expect(summary(answer, keys)).to.deep.equal(summary(recorded!, keys));
            }
          } finally {
            await s.close();
          }
        });
      }
    });
  }

  describe('exportindication.yaml', () => {
    it('export requests are for a listener: a WBEM server refuses them as a non-operation', async () => {
      const s = await startServer({ repository: new CimRepository() });
      try {
        for (const c of load('exportindication.yaml')) {
          const body = Buffer.from(c.http_request.data, 'utf8');
          const head = [`POST /cimom HTTP/1.1`, 'Host: 127.0.0.1', 'Content-Type: application/xml; charset="utf-8"', `Content-Length: ${body.length}`,
            ...Object.entries(c.http_request.headers).map(([k, v]) => `${k}: ${v}`), 'Connection: close'];
          const res = await rawRequest(s.port, Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`), body]));
          expect(res.status, c.name).to.equal(400);
        }
      } finally {
        await s.close();
      }
    });
  });

  describe('the wire', () => {
    it('every answer is DTD-valid', async () => {
      expect(bodies.length).to.be.greaterThan(40);
      expect(await validateAgainstDtd(bodies)).to.equal('');
    });
  });
});

