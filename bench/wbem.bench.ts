// WBEM server figures: GetInstance/s at 32 keep-alive connections beside a bare Koa handler
// sending the same bytes, CreateInstance/s at 32 connections (durable SQLite), EnumerateInstances
// of 10,000 instances end to end against encoding alone (as strings never joined, and to the
// bytes sent) and against a bare Koa handler streaming the same bytes (the transfer's share),
// the server's CPU time per enumeration, and the server's RSS at rest and at the enumeration
// peak. The servers run in a child process (this file with --serve) so RSS and CPU are theirs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { requestRate } from './requestRate.js';
import { median, rssKb, serveChild } from './serveChild.js';
import { PROJECT_ROOT } from './projectRoot.js';

const CONNECTIONS = 32;
const ENUM_COUNT = 10_000;

function body(method: string, params: string): string {
  return `<?xml version="1.0" encoding="utf-8" ?>\n<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="1" PROTOCOLVERSION="1.0"><SIMPLEREQ>` +
    `<IMETHODCALL NAME="${method}"><LOCALNAMESPACEPATH><NAMESPACE NAME="root"/><NAMESPACE NAME="cimv2"/></LOCALNAMESPACEPATH>${params}</IMETHODCALL></SIMPLEREQ></MESSAGE></CIM>`;
}
const headers = (method: string) => ({ 'content-type': 'application/xml; charset="utf-8"', cimoperation: 'MethodCall', cimmethod: method, cimobject: 'root%2Fcimv2' });
const GET_BODY = body('GetInstance', '<IPARAMVALUE NAME="InstanceName"><INSTANCENAME CLASSNAME="TVD_Widget"><KEYBINDING NAME="CreationClassName"><KEYVALUE>TVD_Widget</KEYVALUE></KEYBINDING><KEYBINDING NAME="Id"><KEYVALUE VALUETYPE="numeric">1</KEYVALUE></KEYBINDING></INSTANCENAME></IPARAMVALUE>');
const ENUM_BODY = body('EnumerateInstances', '<IPARAMVALUE NAME="ClassName"><CLASSNAME NAME="TVD_Gadget"/></IPARAMVALUE>');
const createBody = (id: number) => body('CreateInstance', `<IPARAMVALUE NAME="NewInstance"><INSTANCE CLASSNAME="TVD_Widget"><PROPERTY NAME="CreationClassName" TYPE="string"><VALUE>TVD_Widget</VALUE></PROPERTY><PROPERTY NAME="Id" TYPE="uint32"><VALUE>${id}</VALUE></PROPERTY><PROPERTY NAME="Label" TYPE="string"><VALUE>bench ${id}</VALUE></PROPERTY></INSTANCE></IPARAMVALUE>`);

// ------------------------------------------------------------------------------------------
// Child: the servers.

async function serve(stateDir: string): Promise<void> {
  const Koa = (await import('koa')).default;
  const { CimRepository } = await import('../src/cim/CimRepository.js');
  const { CimInstance } = await import('../src/cim/CimInstance.js');
  const { CimProperty } = await import('../src/cim/CimProperty.js');
  const { NameMap } = await import('../src/cim/NameMap.js');
  const { compileMof } = await import('../src/mof/index.js');
  const { openStore } = await import('../src/store/Store.js');
  const { WbemServer } = await import('../src/wbem/WbemServer.js');
  const { ResponseStreamEncoder } = await import('../src/xml/ResponseStreamEncoder.js');
  const { filterInstance } = await import('../src/wbem/objectFilters.js');
  const { Readable } = await import('node:stream');
  const repository = new CimRepository();
  const r = compileMof({ files: [join(PROJECT_ROOT, 'test/wbem/fixtures/widgets.mof')], repository, defaultNamespace: 'root/cimv2' });
  if (r.errors.length) throw new Error(r.errors.join('\n'));
  for (let i = 0; i < ENUM_COUNT; i++) {
    repository.addInstance('root/cimv2', new CimInstance('TVD_Gadget', NameMap.from([
      new CimProperty('CreationClassName', 'string', 'TVD_Gadget'), new CimProperty('Id', 'uint32', 1_000_000 + i),
      new CimProperty('Label', 'string', `gadget ${i} on the bench`), new CimProperty('Tags', 'string', ['a', 'b', 'c'], true),
      new CimProperty('Enabled', 'boolean', i % 2 === 0), new CimProperty('Mass', 'uint64', BigInt(i) * 1000n),
    ], (p) => p.name)));
  }
  const server = new WbemServer({ repository, store: openStore(join(stateDir, 'bench.db')), name: 'bench', log: () => undefined });
  const { http } = await server.listen({ port: 0 });
  // The GetInstance answer, fetched once, is what the bare Koa handler sends.
  const pool = new Pool(http!, { connections: 1 });
  const res = await pool.request({ path: '/cimom', method: 'POST', headers: headers('GetInstance'), body: GET_BODY });
  const bytes = Buffer.from(await res.body.arrayBuffer());
  await pool.close();
  // Encoding alone: the same 10,000 instances through the response encoder, timed in this
  // process on request so the parent can interleave it with the end-to-end runs. They are shaped
  // as the server sends them (the server's own filter with EnumerateInstances' defaults: no
  // CLASSORIGIN, no PROPAGATED); the parent checks that the document has the response's length.
  const insts = [...repository.instanceViews('root/cimv2', 'TVD_Gadget', { deep: false })]
    .map((inst) => filterInstance(inst, { includeQualifiers: false, includeClassOrigin: false, propertyList: null }, true));
  const encodeOnce = (): { ms: number; chars: number } => {
    const t0 = performance.now();
    const enc = new ResponseStreamEncoder({ id: '1' }, 'EnumerateInstances');
    let n = enc.head().length;
    for (const inst of insts) n += enc.item({ kind: 'VALUE.NAMEDINSTANCE', instance: inst }).length;
    n += enc.tail().length;
    return { ms: performance.now() - t0, chars: n };
  };
  // The document in chunks of about 64 KiB, as the server gathers them, each handed to `chunk`.
  const encodeChunked = (chunk: (text: string) => void): void => {
    const enc = new ResponseStreamEncoder({ id: '1' }, 'EnumerateInstances');
    let buf = enc.head();
    for (const inst of insts) {
      buf += enc.item({ kind: 'VALUE.NAMEDINSTANCE', instance: inst });
      if (buf.length >= 64 * 1024) {
        chunk(buf);
        buf = '';
      }
    }
    chunk(buf + enc.tail());
  };
  // Encoding to the bytes that go on the wire: each chunk made into UTF-8 bytes, as a socket
  // write makes it. The encoder's strings are ropes (V8 joins `+=` lazily); summing their
  // lengths, as encodeOnce does, never pays for joining them into text, which anything that uses
  // the text must.
  const encodeToBytesOnce = (): { ms: number; chars: number } => {
    const t0 = performance.now();
    let n = 0;
    encodeChunked((text) => { n += Buffer.from(text, 'utf8').length; });
    return { ms: performance.now() - t0, chars: n };
  };
  // The same chunks, kept for a bare Koa handler to stream: what the transfer alone costs,
  // request to last byte.
  const pieces: string[] = [];
  encodeChunked((text) => { pieces.push(text); });
  const app = new Koa();
  app.use((ctx) => {
    if (ctx.path === '/encode-alone') {
      ctx.body = encodeOnce();
      return;
    }
    if (ctx.path === '/encode-to-bytes') {
      ctx.body = encodeToBytesOnce();
      return;
    }
    if (ctx.path === '/cpu') {
      ctx.body = process.cpuUsage();
      return;
    }
    if (ctx.path === '/enumeration-bytes') {
      ctx.set('Content-Type', 'application/xml; charset="utf-8"');
      ctx.body = Readable.from(pieces, { objectMode: false });
      return;
    }
    ctx.set('Content-Type', 'application/xml; charset="utf-8"');
    ctx.set('CIMOperation', 'MethodResponse');
    ctx.body = bytes;
  });
  const bare = app.listen(0, '127.0.0.1');
  await new Promise((r2) => bare.once('listening', r2));
  const port = (bare.address() as { port: number }).port;
  process.stdout.write(`${JSON.stringify({ wbem: http, bare: `http://127.0.0.1:${port}`, bytes: bytes.length })}\n`);
}

// ------------------------------------------------------------------------------------------
// Parent: the load.

/** `method` requests to the CIM server at 32 keep-alive connections for `seconds`: requests per second. */
function rate(url: string, method: string, makeBody: (i: number) => string, seconds: number): Promise<number> {
  return requestRate(url, CONNECTIONS, seconds, (i) => ({ path: '/cimom', method: 'POST', headers: headers(method), body: makeBody(i) }));
}

async function main(): Promise<void> {
  if (process.argv[2] === '--serve') return serve(process.argv[3]!);
  const state = mkdtempSync(join(tmpdir(), 'tvdc-bench-'));
  const { child, ready } = serveChild<{ wbem: string; bare: string }>(fileURLToPath(import.meta.url), state, 'bench server');
  try {
    const info = await ready;
    const pid = child.pid!;
    // Warm both paths up, then measure them back to back.
    await rate(info.wbem, 'GetInstance', () => GET_BODY, 1);
    await rate(info.bare, 'GetInstance', () => GET_BODY, 1);
    const restRss = rssKb(pid);
    // Short interleaved rounds, compared pairwise and summarised by the median: the machine may
    // be shared, and this keeps both sides measured under the same conditions.
    const wbemRates: number[] = [];
    const bareRates: number[] = [];
    const ratios: number[] = [];
    for (let round = 0; round < 7; round++) {
      const w = await rate(info.wbem, 'GetInstance', () => GET_BODY, 1);
      const b = await rate(info.bare, 'GetInstance', () => GET_BODY, 1);
      wbemRates.push(w);
      bareRates.push(b);
      ratios.push(w / b);
    }
    console.log(`wbem.getinstance_32conn: ${median(wbemRates).toFixed(0)} req/s`);
    console.log(`wbem.bare_koa_same_bytes_32conn: ${median(bareRates).toFixed(0)} req/s`);
    console.log(`wbem.getinstance_vs_bare_koa: ${(median(ratios) * 100).toFixed(1)} %`);
    let next = 10;
    const createRate = await rate(info.wbem, 'CreateInstance', () => createBody(next++), 4);
    console.log(`wbem.createinstance_32conn: ${createRate.toFixed(0)} creates/s`);
    // Enumeration: end to end (request sent to last byte read) against encoding alone in the
    // server process and against the bare handler streaming the same bytes, interleaved, best of
    // 7 each after 3 rounds of each unmeasured (the enumeration's own code, unlike the encoder's,
    // has not run yet in this process: its first rounds measured the compiler, at up to twice the
    // steady time); RSS sampled meanwhile.
    const pool = new Pool(info.wbem, { connections: 1 });
    const encPool = new Pool(info.bare, { connections: 1 });
    let best = Infinity;
    let encodeMs = Infinity;
    let encodeBytesMs = Infinity;
    let transferMs = Infinity;
    let firstByteMs = Infinity;
    // The server's CPU time per enumeration (this child's, read from it before and after): unlike
    // the wall time, it does not grow when other work on the machine takes the cores.
    const serverCpu: { user: number; system: number }[] = [];
    const cpuNow = async (): Promise<{ user: number; system: number }> => (await (await encPool.request({ path: '/cpu', method: 'GET' })).body.json()) as { user: number; system: number };
    let peak = 0;
    const sampler = setInterval(() => { peak = Math.max(peak, rssKb(pid)); }, 2);
    const WARMUP = 3;
    for (let k = 0; k < WARMUP + 7; k++) {
      const measured = k >= WARMUP;
      const e = await encPool.request({ path: '/encode-alone', method: 'GET' });
      const encoded = await e.body.json() as { ms: number; chars: number };
      if (measured) encodeMs = Math.min(encodeMs, encoded.ms);
      const eb = await encPool.request({ path: '/encode-to-bytes', method: 'GET' });
      const toBytes = await eb.body.json() as { ms: number; chars: number };
      if (measured) encodeBytesMs = Math.min(encodeBytesMs, toBytes.ms);
      const t1 = performance.now();
      const b = await encPool.request({ path: '/enumeration-bytes', method: 'GET' });
      let bareBytes = 0;
      for await (const chunk of b.body) bareBytes += (chunk as Buffer).length;
      if (measured) transferMs = Math.min(transferMs, performance.now() - t1);
      const cpu0 = await cpuNow();
      const t0 = performance.now();
      const r = await pool.request({ path: '/cimom', method: 'POST', headers: headers('EnumerateInstances'), body: ENUM_BODY });
      let first = true;
      let n = 0;
      for await (const chunk of r.body) {
        if (first && measured) firstByteMs = Math.min(firstByteMs, performance.now() - t0);
        first = false;
        n += (chunk as Buffer).length;
      }
      if (measured) best = Math.min(best, performance.now() - t0);
      const cpu1 = await cpuNow();
      if (measured) serverCpu.push({ user: (cpu1.user - cpu0.user) / 1000, system: (cpu1.system - cpu0.system) / 1000 });
      if (n < 1_000_000) throw new Error(`enumeration too small: ${n} bytes`);
      // The document is ASCII: equal lengths mean encoding alone encoded what the server sent.
      if (encoded.chars !== n || toBytes.chars !== n || bareBytes !== n) {
        throw new Error(`encoded alone ${encoded.chars} chars, to bytes ${toBytes.chars}, bare handler ${bareBytes} bytes, response ${n} bytes`);
      }
    }
    clearInterval(sampler);
    await pool.close();
    await encPool.close();
    console.log(`wbem.enumerate_10000_end_to_end: ${best.toFixed(0)} ms`);
    console.log(`wbem.enumerate_10000_first_byte: ${firstByteMs.toFixed(0)} ms`);
    const cpuTotals = serverCpu.map((c) => c.user + c.system);
    const cpuMid = serverCpu[cpuTotals.indexOf(median(cpuTotals))]!;
    console.log(`wbem.enumerate_10000_server_cpu: ${median(cpuTotals).toFixed(1)} ms (user ${cpuMid.user.toFixed(1)}, system ${cpuMid.system.toFixed(1)}; median of 7)`);
    console.log(`wbem.encode_10000_alone: ${encodeMs.toFixed(0)} ms`);
    console.log(`wbem.enumerate_vs_encode: ${(best / encodeMs).toFixed(2)} x`);
    console.log(`wbem.encode_10000_to_bytes: ${encodeBytesMs.toFixed(0)} ms`);
    console.log(`wbem.enumerate_vs_encode_to_bytes: ${(best / encodeBytesMs).toFixed(2)} x`);
    console.log(`wbem.transfer_10000_same_bytes_bare_koa: ${transferMs.toFixed(0)} ms`);
    console.log(`wbem.enumerate_vs_encode_plus_transfer: ${(best / (encodeMs + transferMs)).toFixed(2)} x`);
    console.log(`wbem.rss_at_rest: ${(restRss / 1024).toFixed(1)} MiB`);
    console.log(`wbem.rss_enumeration_peak: ${(peak / 1024).toFixed(1)} MiB`);
  } finally {
    child.kill('SIGKILL');
    rmSync(state, { recursive: true, force: true });
  }
}

await main();
