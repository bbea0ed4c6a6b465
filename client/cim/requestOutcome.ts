// Whether a failed request may have been carried out by the server. A caller whose request changes
// something the server cannot be asked to undo (a migration, a hand-over) must tell "the server
// certainly did not act" from "it may have": only the first is safe to retry or to undo here.
import { CimError } from '../../src/cim/CimError.js';
import { ClientError, HttpStatusError, TimeoutError } from './ClientError.js';

/**
 * False only when the server certainly did not carry the request out: it answered with a CIM error
 * (it decided, and said no), or the request never reached the part of it that acts (nothing
 * listened, the name did not resolve, the TLS handshake failed, the connection was never made in
 * time, HTTP refused it before processing: 401, 403, 429 or another 4xx, a CIMError header, or the
 * request could not be built). True for everything else, where the request may have been read and
 * acted on: a timeout while waiting for the answer, a reset or closed connection, an answer that
 * was not CIM-XML or was cut short, a 5xx (a server or gateway failing mid-way), anything unknown.
 */
export function mayHaveBeenProcessed(e: unknown): boolean {
  if (e instanceof CimError) return false;
  if (e instanceof TimeoutError) return e.phase !== 'connect';
  if (e instanceof HttpStatusError) return e.status >= 500;
  if (e instanceof ClientError) {
    switch (e.code) {
      case 'CONNECT_REFUSED':
      case 'CONNECT_FAILED':
      case 'TLS':
      case 'INVALID_ARGUMENT':
        return false;
      default:
        return true;
    }
  }
  return true;
}
