// The tests' challenger over CIM is the management server's own (client/server/integrity/
// CimChallenger.ts); these wrappers keep the call shapes the integrity tests use.
import type { CimObjectPath } from '../../../../src/cim/CimObjectPath.js';
import type { QuoteBundle } from '../../../../src/tvdc/integrity/QuoteBundle.js';
import type { Verifier } from '../../../../src/tvdc/integrity/Verifier.js';
import { WbemConnection } from '../../../../client/cim/index.js';
import { CimChallenger, type QuoteOptions } from '../../../../client/server/integrity/CimChallenger.js';

export { attestationService, hostPath } from '../../../../client/server/integrity/CimChallenger.js';
export { vmPath } from '../../../../client/server/HostCim.js';

export function connect(origin: string): WbemConnection {
  return new WbemConnection(origin, { namespace: 'root/tvdc' });
}

/** Enrols `target` (the verifier's name for it) through the host's CIM methods. */
export async function enrol(conn: WbemConnection, host: string, target: CimObjectPath, verifier: Verifier, name: string): Promise<void> {
  await new CimChallenger(conn, host).enrol(target, verifier, name);
}

/** GetQuote through the project's CIM client, as a QuoteBundle the Verifier checks (a non-zero return value throws). */
export async function getQuote(conn: WbemConnection, host: string, target: CimObjectPath, nonce: string, opts: QuoteOptions = {}): Promise<{ returnValue: number; bundle: QuoteBundle }> {
  return { returnValue: 0, bundle: await new CimChallenger(conn, host).getQuote(target, nonce, opts) };
}
