// The one place that turns undici and node network errors into the client's typed errors, so the
// operation transport and the indication sender report the same failure the same way.
import { errors as undiciErrors } from 'undici';
import { ClientError, TimeoutError, TransportError } from './ClientError.js';
import type { Timeouts } from './ConnectionOptions.js';

/** In the connection's own terms; a program names its options instead (ClientError.messageWith). */
const TLS_HINT = "trust the server's CA (tls.ca or tls.caFile) or, for testing only, turn verification off (tls.noVerify)";

const TLS_CODES = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ALTNAME|HOSTNAME|EPROTO/;

/** `phase` says whether the failure came before the response headers or while reading the body. */
export function mapTransportError(e: unknown, phase: 'headers' | 'body', target: string, timeouts: Timeouts): ClientError {
  if (e instanceof ClientError) return e;
  const err = e as NodeJS.ErrnoException & { code?: string };
  const code = err?.code ?? '';
  const detail = err?.message ?? String(e);
  if (e instanceof undiciErrors.ConnectTimeoutError || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new TimeoutError('connect', timeouts.connect, target, { cause: e });
  }
  if (e instanceof undiciErrors.HeadersTimeoutError || code === 'UND_ERR_HEADERS_TIMEOUT') {
    return new TimeoutError('headers', timeouts.headers, target, { cause: e });
  }
  if (e instanceof undiciErrors.BodyTimeoutError || code === 'UND_ERR_BODY_TIMEOUT') {
    return new TimeoutError('body', timeouts.body, target, { cause: e });
  }
  if (code === 'ECONNREFUSED') {
    return new TransportError('CONNECT_REFUSED', `cannot connect to ${target}: connection refused; is the WBEM server running and listening on that port?`, target, { cause: e });
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EADDRNOTAVAIL') {
    return new TransportError('CONNECT_FAILED', `cannot reach ${target} (${code}); check the host name and the network`, target, { cause: e });
  }
  if (TLS_CODES.test(code) || /certificate|ssl|tls/i.test(detail)) {
    return new TransportError('TLS', `TLS with ${target} failed: ${detail}`, target, { cause: e, hint: TLS_HINT });
  }
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED' || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH' || code === 'ECONNABORTED') {
    return new TransportError('CONNECTION_RESET', `the connection to ${target} was closed by the server ${phase === 'headers' ? 'before it answered' : 'while it was answering'}; retry, or check the server's log`, target, { cause: e });
  }
  if (code === 'UND_ERR_DESTROYED' || code === 'UND_ERR_ABORTED') {
    return new TransportError('CLOSED', 'the connection was closed while the request was in flight', target, { cause: e });
  }
  return new TransportError('CONNECTION_RESET', `talking to ${target} failed: ${detail}`, target, { cause: e });
}
