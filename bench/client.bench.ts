// Client figures: decode speed of a 10,000-instance enumeration over loopback HTTP beside a bare
// saxes pass over the same bytes; peak heap while iterating a 100,000-instance pull enumeration;
// GetInstance calls/s at 32 concurrent requests beside a bare undici loop against the same server.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { SaxesParser } from 'saxes';
import { CimObjectPath } from '../src/cim/CimObjectPath.js';
import { WbemConnection } from '../client/cim/WbemConnection.js';
import { createMessageDecoder, decodeMessage } from '../src/xml/index.js';

function line(name: string, value: number, unit: string): void {
  console.log(`${name}: ${value >= 100 ? Math.round(value) : value.toFixed(2)} ${unit}`);
}

function namedInstance(i: number): string {
  return `<VALUE.NAMEDINSTANCE><INSTANCENAME CLASSNAME="TVDc_ComputerSystem"><KEYBINDING NAME="CreationClassName"><KEYVALUE VALUETYPE="string">TVDc_ComputerSystem</KEYVALUE></KEYBINDING>` +
    `<KEYBINDING NAME="Name"><KEYVALUE VALUETYPE="string">vm-${i}</KEYVALUE></KEYBINDING></INSTANCENAME>` +
    `<INSTANCE CLASSNAME="TVDc_ComputerSystem">` +
    `<PROPERTY NAME="CreationClassName" TYPE="string"><VALUE>TVDc_ComputerSystem</VALUE></PROPERTY>` +
    `<PROPERTY NAME="Name" TYPE="string"><VALUE>vm-${i}</VALUE></PROPERTY>` +
    `<PROPERTY NAME="ElementName" TYPE="string"><VALUE>Virtual machine number ${i} &amp; friends</VALUE></PROPERTY>` +
    `<PROPERTY NAME="EnabledState" TYPE="uint16"><VALUE>2</VALUE></PROPERTY>` +
    `<PROPERTY NAME="SecurityLabel" TYPE="string"><VALUE>ACM:paper:green</VALUE></PROPERTY>` +
    `<PROPERTY NAME="MemoryMB" TYPE="uint64"><VALUE>${1024 + i}</VALUE></PROPERTY>` +
    `<PROPERTY NAME="Started" TYPE="datetime"><VALUE>20240101120000.000000+000</VALUE></PROPERTY>` +
    `<PROPERTY.ARRAY NAME="OperationalStatus" TYPE="uint16"><VALUE.ARRAY><VALUE>2</VALUE><VALUE>32768</VALUE></VALUE.ARRAY></PROPERTY.ARRAY>` +
    `</INSTANCE></VALUE.NAMEDINSTANCE>`;
}

function instanceWithPath(i: number): string {
  return namedInstance(i)
    .replace('<VALUE.NAMEDINSTANCE><INSTANCENAME', '<VALUE.INSTANCEWITHPATH><INSTANCEPATH><NAMESPACEPATH><HOST>h</HOST><LOCALNAMESPACEPATH><NAMESPACE NAME="root"/><NAMESPACE NAME="tvdc"/></LOCALNAMESPACEPATH></NAMESPACEPATH><INSTANCENAME')
    .replace('</INSTANCENAME><INSTANCE ', '</INSTANCENAME></INSTANCEPATH><INSTANCE ')
    .replace('</VALUE.NAMEDINSTANCE>', '</VALUE.INSTANCEWITHPATH>');
}

function response(name: string, inner: string): string {
  return `<?xml version="1.0" encoding="utf-8" ?>\n<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="1" PROTOCOLVERSION="1.0"><SIMPLERSP><IMETHODRESPONSE NAME="${name}">${inner}</IMETHODRESPONSE></SIMPLERSP></MESSAGE></CIM>`;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((r) => server.close(() => r()));
}

// ---------------------------------------------------------------- 1. decode MB/s

async function decodeThroughput(): Promise<void> {
  const body = Buffer.from(response('EnumerateInstances', `<IRETURNVALUE>${Array.from({ length: 10_000 }, (_, i) => namedInstance(i)).join('')}</IRETURNVALUE>`));
  const mb = body.length / 1e6;
  // The server runs in its own process: its 10 MB writes must not count as client decode time.
  const { origin, stop } = await serveInChild(body);
  const conn = new WbemConnection(origin, { namespace: 'root/tvdc' });

  const saxesOnce = (): number => {
    // The floor any streaming CIM-XML client pays: UTF-8 decoding and tokenising the same bytes
    // in 64 KiB chunks, with handlers that do nothing.
    const p = new SaxesParser({ xmlns: false });
    const utf8 = new TextDecoder();
    let n = 0;
    p.on('opentag', () => { n++; });
    p.on('text', () => undefined);
    p.on('closetag', () => undefined);
    for (let o = 0; o < body.length; o += 65536) p.write(utf8.decode(body.subarray(o, o + 65536), { stream: true }));
    p.close();
    return n;
  };
  const decoderOnce = (): number => {
    // The CIM-XML decoder alone on the same chunks: what the client adds on top is HTTP and conversion.
    let n = 0;
    const d = createMessageDecoder({ onReturnItem: () => { n++; } });
    for (let o = 0; o < body.length; o += 65536) d.write(body.subarray(o, o + 65536));
    d.end();
    return n;
  };
  const clientOnce = async (): Promise<number> => {
    let n = 0;
    for await (const inst of conn.enumerateInstances('TVDc_ComputerSystem')) if (inst.path) n++;
    return n;
  };
  // Warm up both paths, then take the best of several rounds of each (less noise than a mean).
  for (let i = 0; i < 2; i++) { saxesOnce(); decoderOnce(); await clientOnce(); }
  let bestSaxes = Infinity;
  let bestClient = Infinity;
  let bestDecoder = Infinity;
  for (let round = 0; round < 5; round++) {
    let t = process.hrtime.bigint();
    saxesOnce();
    bestSaxes = Math.min(bestSaxes, Number(process.hrtime.bigint() - t) / 1e9);
    t = process.hrtime.bigint();
    decoderOnce();
    bestDecoder = Math.min(bestDecoder, Number(process.hrtime.bigint() - t) / 1e9);
    t = process.hrtime.bigint();
    const n = await clientOnce();
    if (n !== 10_000) throw new Error(`decoded ${n} instances, expected 10000`);
    bestClient = Math.min(bestClient, Number(process.hrtime.bigint() - t) / 1e9);
  }
  line('client_enum10k_body_size', mb, 'MB');
  line('client_enum10k_decode', mb / bestClient, 'MB/s');
  line('client_enum10k_saxes_baseline', mb / bestSaxes, 'MB/s');
  line('client_enum10k_vs_saxes', (bestSaxes / bestClient) * 100, '%');
  line('client_enum10k_xml_decoder_only', mb / bestDecoder, 'MB/s');
  await conn.close();
  stop();
}

/** A loopback server in a child process answering every request with `body`. */
async function serveInChild(body: Buffer): Promise<{ origin: string; stop: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'tvdc-client-bench-'));
  const file = join(dir, 'body.xml');
  writeFileSync(file, body);
  const source = `
import { createServer } from 'node:http';
import { readFileSync, rmSync } from 'node:fs';
const body = readFileSync(${JSON.stringify(file)});
rmSync(${JSON.stringify(dir)}, { recursive: true, force: true });
const s = createServer((req, res) => { req.resume(); req.on('end', () => { res.writeHead(200, { 'content-type': 'application/xml; charset=utf-8', 'content-length': body.length }); res.end(body); }); });
s.keepAliveTimeout = 60000;
s.listen(0, '127.0.0.1', () => console.log(s.address().port));
`;
  const child: ChildProcess = spawn(process.execPath, ['--input-type=module', '-e', source], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
  return { origin: `http://127.0.0.1:${port}`, stop: () => child.kill() };
}

// ---------------------------------------------------------------- 2. peak heap, 100k pull

async function pullPeakHeap(): Promise<void> {
  const total = 100_000;
  const batch = 1000;
  let next = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => { body += c; });
    req.on('end', () => {
      const method = String(req.headers.cimmethod);
      if (method === 'OpenEnumerateInstances') next = 0;
      // Each answer is produced as it is sent: the server side never holds the whole set either.
      res.writeHead(200, { 'content-type': 'application/xml; charset=utf-8' });
      const head = response(method, '@@').split('@@');
      res.write(`${head[0]}<IRETURNVALUE>`);
      const end = Math.min(total, next + batch);
      for (; next < end; next += 100) {
        let s = '';
        for (let i = next; i < Math.min(end, next + 100); i++) s += instanceWithPath(i);
        res.write(s);
      }
      next = end;
      const done = next >= total;
      res.end(`</IRETURNVALUE><PARAMVALUE NAME="EnumerationContext"><VALUE>${done ? '' : 'c1'}</VALUE></PARAMVALUE>` +
        `<PARAMVALUE NAME="EndOfSequence"><VALUE>${done ? 'TRUE' : 'FALSE'}</VALUE></PARAMVALUE>${head[1]}`);
    });
  });
  const origin = await listen(server);
  const conn = new WbemConnection(origin, { namespace: 'root/tvdc' });
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const base = process.memoryUsage().heapUsed;
  let peak = base;
  let n = 0;
  let bytes = 0;
  for await (const inst of conn.pullInstances('TVDc_ComputerSystem', { maxObjectCount: batch })) {
    n++;
    bytes += String(inst.get('ElementName')).length;
    if (n % 500 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
  }
  if (n !== total) throw new Error(`pulled ${n}, expected ${total}`);
  line('client_pull100k_peak_heap', peak / 1048576, 'MB');
  line('client_pull100k_heap_growth', (peak - base) / 1048576, 'MB');
  if (bytes === 0) console.log('');
  await conn.close();
  await close(server);
}

// ---------------------------------------------------------------- 3. GetInstance calls/s

const SERVER_SOURCE = `
import { createServer } from 'node:http';
const body = Buffer.from(${JSON.stringify(response('GetInstance', `<IRETURNVALUE>${namedInstance(1).replace(/^<VALUE.NAMEDINSTANCE>.*?<\/INSTANCENAME>/, '').replace('</VALUE.NAMEDINSTANCE>', '')}</IRETURNVALUE>`))});
const s = createServer((req, res) => { req.resume(); req.on('end', () => { res.writeHead(200, { 'content-type': 'application/xml; charset=utf-8', 'content-length': body.length }); res.end(body); }); });
s.keepAliveTimeout = 60000;
s.listen(0, '127.0.0.1', () => console.log(s.address().port));
`;

async function getInstanceRate(): Promise<void> {
  // The server runs in its own process so it does not share this process's CPU time slice.
  const child: ChildProcess = spawn(process.execPath, ['--input-type=module', '-e', SERVER_SOURCE], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
  const origin = `http://127.0.0.1:${port}`;
  const concurrency = 32;
  const path = CimObjectPath.instance('TVDc_ComputerSystem', { CreationClassName: 'TVDc_ComputerSystem', Name: 'vm-1' }, 'root/tvdc');

  const measure = async (call: () => Promise<unknown>, ms: number): Promise<number> => {
    let count = 0;
    const end = Date.now() + ms;
    const start = process.hrtime.bigint();
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) {
        await call();
        count++;
      }
    }));
    return count / (Number(process.hrtime.bigint() - start) / 1e9);
  };

  const conn = new WbemConnection(origin, { namespace: 'root/tvdc', connections: concurrency });
  // The bare loop sends the very bytes the client sends and only reads the body as text.
  const pool = new Pool(origin, { connections: concurrency, pipelining: 1 });
  const reqBody = `<?xml version="1.0" encoding="utf-8" ?>\n<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="1" PROTOCOLVERSION="1.0"><SIMPLEREQ><IMETHODCALL NAME="GetInstance"><LOCALNAMESPACEPATH><NAMESPACE NAME="root"></NAMESPACE><NAMESPACE NAME="tvdc"></NAMESPACE></LOCALNAMESPACEPATH><IPARAMVALUE NAME="InstanceName"><INSTANCENAME CLASSNAME="TVDc_ComputerSystem"><KEYBINDING NAME="CreationClassName"><KEYVALUE VALUETYPE="string" TYPE="string">TVDc_ComputerSystem</KEYVALUE></KEYBINDING><KEYBINDING NAME="Name"><KEYVALUE VALUETYPE="string" TYPE="string">vm-1</KEYVALUE></KEYBINDING></INSTANCENAME></IPARAMVALUE></IMETHODCALL></SIMPLEREQ></MESSAGE></CIM>`;
  const headers = { 'content-type': 'application/xml; charset=utf-8', cimoperation: 'MethodCall', cimmethod: 'GetInstance', cimobject: 'root%2Ftvdc', cimprotocolversion: '1.0' };
  const bareCall = async (): Promise<string> => {
    const r = await pool.request({ path: '/cimom', method: 'POST', headers, body: reqBody });
    return r.body.text();
  };
  const clientCall = (): Promise<unknown> => conn.getInstance(path);
  // The bare loop plus the CIM-XML decoder on each answer: how much of the gap is the decoder.
  const bareDecodeCall = async (): Promise<unknown> => {
    const r = await pool.request({ path: '/cimom', method: 'POST', headers, body: reqBody });
    return decodeMessage(Buffer.from(await r.body.arrayBuffer()));
  };
  // Both warm up (JIT, sockets, the server's own JIT), then alternate rounds; the best round of
  // each counts, so neither pays for running first.
  await measure(clientCall, 1000);
  await measure(bareCall, 1000);
  await measure(bareDecodeCall, 500);
  let client = 0;
  let bare = 0;
  let bareDecode = 0;
  for (let round = 0; round < 4; round++) {
    client = Math.max(client, await measure(clientCall, 1000));
    bare = Math.max(bare, await measure(bareCall, 1000));
    bareDecode = Math.max(bareDecode, await measure(bareDecodeCall, 1000));
  }
  await conn.close();
  await pool.close();
  child.kill();

  line('client_getinstance_c32', client, 'calls/s');
  line('client_getinstance_c32_bare_undici', bare, 'calls/s');
  line('client_getinstance_c32_vs_bare', (client / bare) * 100, '%');
  line('client_getinstance_c32_bare_undici_plus_decode', bareDecode, 'calls/s');
}

// Each figure runs in a fresh process: garbage and warm sockets from one must not skew the next.
const parts: Record<string, () => Promise<void>> = { decode: decodeThroughput, heap: pullPeakHeap, getinstance: getInstanceRate };
const only = process.argv[2];
if (only !== undefined) {
  await parts[only]!();
} else {
  for (const name of Object.keys(parts)) {
    const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), name], { stdio: 'inherit' });
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    if (code !== 0) throw new Error(`client bench part ${name} exited with ${code}`);
  }
}
