// Slow and silent clients on real sockets, over HTTP and HTTPS: a request head sent byte by byte
// gets 408 at the header timeout and the connection is then closed even when the client neither
// reads the answer nor hangs up; a connection that says nothing, before its first request or
// between requests, is closed at the idle timeout; a slow TLS handshake is cut too.
import { expect } from 'chai';
import net from 'node:net';
import tls from 'node:tls';
import { join } from 'node:path';
import { WbemServer } from '../../src/wbem/WbemServer.js';
import { imethodRequest, repositoryFrom, WBEM_FIXTURES } from './support/wbemTestKit.js';
import { selfSignedCert } from './support/selfSignedCert.js';

const HEADERS_MS = 600;
const IDLE_MS = 300;
/** A guard against a hang, far past every limit under test; no timing is asserted against it. */
const GUARD_MS = 8_000;
const ENUM = '<IPARAMVALUE NAME="ClassName"><CLASSNAME NAME="TVD_Widget"/></IPARAMVALUE>';

interface Outcome {
  /** Everything the server sent. */
  received: string;
  /** ms from the first byte sent (or from connecting, when nothing is sent) until the connection was gone; null: still open at the guard. */
  closedAfter: number | null;
}

type Connect = () => net.Socket;

/**
 * Sends `text` (then, when `drip` is set, `drip` one byte every 50 ms) and never closes its side:
 * half-open, reading everything, as a client that ignores the answer would. Once the server has
 * closed its side, a byte is sent every 50 ms, so that the connection counts as gone only when
 * the server has let go of it altogether (the bytes are refused with a reset).
 */
function hold(connect: Connect, text: string, drip: string | null): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = connect();
    let received = '';
    let start = 0;
    let timer: NodeJS.Timeout | null = null;
    let k = 0;
    const begin = (): void => {
      start = Date.now();
      if (text) socket.write(text);
      if (drip !== null) {
        timer = setInterval(() => {
          if (!socket.destroyed) socket.write(drip[k++ % drip.length]!);
        }, 50);
      }
    };
    const done = (closedAfter: number | null): void => {
      if (timer) clearInterval(timer);
      clearTimeout(guard);
      socket.destroy();
      resolve({ received, closedAfter });
    };
    const guard = setTimeout(() => done(null), GUARD_MS);
    socket.once(socket instanceof tls.TLSSocket ? 'secureConnect' : 'connect', begin);
    socket.on('data', (d: Buffer) => { received += d.toString('latin1'); });
    socket.on('end', () => {
      timer ??= setInterval(() => { if (!socket.destroyed) socket.write('\r\n'); }, 50);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => done(Date.now() - start));
  });
}

const SLOW_HEAD = 'POST /cimom HTTP/1.1\r\nHost: x\r\nContent-Type: application/xml\r\nCIMOperation: MethodCall\r\nX-Slow: ' + 'a'.repeat(2000);

function suite(scheme: 'http' | 'https'): void {
  describe(`wbem: slow and silent clients over ${scheme.toUpperCase()}`, function () {
    let server: WbemServer;
    let connect: Connect;
    let raw: Connect;

    before(async () => {
      server = new WbemServer({
        repository: repositoryFrom([{ file: join(WBEM_FIXTURES, 'widgets.mof') }]), log: () => undefined,
        headersTimeoutMs: HEADERS_MS, idleTimeoutMs: IDLE_MS,
      });
      if (scheme === 'http') {
        const port = Number(new URL((await server.listen({ port: 0 })).http!).port);
        connect = () => net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
        raw = connect;
      } else {
        const { cert, key } = selfSignedCert();
        const port = Number(new URL((await server.listen({ httpsPort: 0, cert, key })).https!).port);
        connect = () => tls.connect({ port, host: '127.0.0.1', ca: cert, allowHalfOpen: true } as tls.ConnectionOptions);
        raw = () => net.connect({ port, host: '127.0.0.1' });
      }
    });
    after(() => server.close());

    it('a head sent byte by byte gets 408 at the header timeout, and the connection is closed though the client never hangs up', async () => {
      const r = await hold(connect, 'P', SLOW_HEAD.slice(1));
      expect(r.received).to.match(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      expect(r.closedAfter, 'still open').to.not.equal(null);
      expect(r.closedAfter!).to.be.at.least(HEADERS_MS - 50);
    });

    it('a connection that sends nothing is closed at the idle timeout, well before the header timeout', async () => {
      const r = await hold(connect, '', null);
      expect(r.received).to.equal('');
      expect(r.closedAfter, 'still open').to.not.equal(null);
      expect(r.closedAfter!).to.be.at.least(IDLE_MS - 50).and.below(HEADERS_MS);
    });

    it('a kept-alive connection idle after its answer is closed at the idle timeout', async () => {
      const request = imethodRequest('EnumerateInstanceNames', 'root/cimv2', ENUM, { Connection: 'keep-alive' });
      const r = await hold(connect, request, null);
      expect(r.received).to.match(/^HTTP\/1\.1 200 OK\r\n/);
      expect(r.received).to.match(/keep-alive/i);
      expect(r.closedAfter, 'still open').to.not.equal(null);
      expect(r.closedAfter!).to.be.at.least(IDLE_MS - 50);
    });

    it('a slow second head on a kept-alive connection gets 408 at the header timeout from its first byte', async () => {
      const request = imethodRequest('EnumerateInstanceNames', 'root/cimv2', ENUM, { Connection: 'keep-alive' });
      const first = await new Promise<{ socket: net.Socket; text: string }>((resolve, reject) => {
        const socket = connect();
        let text = '';
        socket.once(scheme === 'https' ? 'secureConnect' : 'connect', () => socket.write(request));
        socket.on('data', (d: Buffer) => {
          text += d.toString('latin1');
          if (text.includes('</CIM>')) resolve({ socket, text });
        });
        socket.on('error', reject);
      });
      expect(first.text).to.match(/^HTTP\/1\.1 200 OK\r\n/);
      // Byte by byte, every gap shorter than the idle timeout: only the head's own deadline can end it.
      const started = Date.now();
      let k = 0;
      let second = '';
      const closedAfter = await new Promise<number | null>((resolve) => {
        const drip = setInterval(() => { if (!first.socket.destroyed) first.socket.write(SLOW_HEAD[k++]!); }, 50);
        const guard = setTimeout(() => { clearInterval(drip); resolve(null); }, GUARD_MS);
        first.socket.removeAllListeners('data');
        first.socket.on('data', (d: Buffer) => { second += d.toString('latin1'); });
        first.socket.on('error', () => undefined);
        first.socket.on('close', () => { clearInterval(drip); clearTimeout(guard); resolve(Date.now() - started); });
      });
      first.socket.destroy();
      expect(second).to.match(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      expect(closedAfter, 'still open').to.not.equal(null);
      expect(closedAfter!).to.be.at.least(HEADERS_MS - 50);
    });

    if (scheme === 'https') {
      it('a TLS handshake that never completes is cut at the header timeout', async () => {
        // A ClientHello record header, then a byte at a time: the handshake never completes.
        const r = await hold(raw, '\x16\x03\x01\x02\x00', 'x');
        expect(r.closedAfter, 'still open').to.not.equal(null);
        expect(r.closedAfter!).to.be.at.least(HEADERS_MS - 50);
      });
    }
  });
}

suite('http');
suite('https');
