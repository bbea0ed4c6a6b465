// Reads a Keylime runtime policy (allowlist JSON: "digests" path -> hex digests, "excludes"
// regexes, "ima.log_hash_alg"), checking its shape on the way, for the reference database or
// as a ReferenceSet of its own.
import { imageBootEntries } from './BootAggregate.js';
import { IntegrityError } from './IntegrityError.js';
import { ReferenceSet } from './ReferenceSet.js';
import { scanDirectory } from './scanDirectory.js';

export interface RuntimePolicy {
  references: ReferenceSet;
  /** The hash algorithm the policy says the log's template hashes use, when it says. */
  logHashAlg?: string;
  digests: number;
  excludes: string[];
}

const HEX_DIGEST = /^(?:[a-z0-9-]+:)?(?:[0-9a-fA-F]{2})+$/;

function fail(msg: string): never {
  throw new IntegrityError('POLICY_FORMAT', `runtime policy: ${msg}`);
}

/** A runtime policy's content, checked: what the reference database imports. */
export interface RuntimePolicyDocument {
  entries: { path: string; digest: string }[];
  excludes: string[];
  logHashAlg?: string;
}

/** Reads and checks a Keylime runtime policy, every digest hex and every exclude a valid regex. */
export function readRuntimePolicy(text: string | Buffer): RuntimePolicyDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(text.toString());
  } catch (e) {
    fail(`not JSON: ${(e as Error).message}`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) fail('top level is not an object');
  const d = doc as Record<string, unknown>;
  const digests = d['digests'];
  if (digests === undefined || !digests || typeof digests !== 'object' || Array.isArray(digests)) fail('"digests" must be an object of path -> [digest]');
  const entries: { path: string; digest: string }[] = [];
  for (const [path, list] of Object.entries(digests as Record<string, unknown>)) {
    if (!Array.isArray(list)) fail(`digests of "${path}" is not a list`);
    for (const dg of list) {
      if (typeof dg !== 'string' || !HEX_DIGEST.test(dg)) fail(`digest ${JSON.stringify(dg)} of "${path}" is not hex`);
      entries.push({ path, digest: dg });
    }
  }
  const excludes = d['excludes'] ?? [];
  if (!Array.isArray(excludes)) fail('"excludes" must be a list of regular expressions');
  for (const x of excludes) {
    if (typeof x !== 'string') fail(`exclude ${JSON.stringify(x)} is not a string`);
    try {
      new RegExp(x);
    } catch (e) {
      fail(`exclude ${JSON.stringify(x)} is not a valid regular expression: ${(e as Error).message}`);
    }
  }
  const ima = d['ima'];
  const alg = ima && typeof ima === 'object' ? (ima as Record<string, unknown>)['log_hash_alg'] : undefined;
  return { entries, excludes: excludes as string[], ...(typeof alg === 'string' ? { logHashAlg: alg } : {}) };
}

/** A runtime policy as a ReferenceSet a verifier judges with. */
export function parseRuntimePolicy(text: string | Buffer): RuntimePolicy {
  const doc = readRuntimePolicy(text);
  const refs = new ReferenceSet();
  for (const e of doc.entries) refs.add(e.path, { digest: e.digest, annotation: 'trusted' });
  for (const x of doc.excludes) refs.exclude(x);
  return { references: refs, digests: doc.entries.length, excludes: doc.excludes, ...(doc.logHashAlg !== undefined ? { logHashAlg: doc.logHashAlg } : {}) };
}

/**
 * A Keylime runtime policy (JSON text) of every file under the image `roots`, as scanned from
 * clean images; a path found in several roots lists each distinct digest once. `prefix` is where
 * the roots sit in the measured system (default /), `alg` the file digests' hash (default sha256).
 * A root that is a whole VM image (prefix /, the full boot list) also gives its boot_aggregates,
 * as its host measures them (BootAggregate.ts), under "boot_aggregate".
 */
export function runtimePolicyOf(roots: readonly string[], opts: { excludes?: readonly string[]; prefix?: string; alg?: 'sha1' | 'sha256' } = {}): string {
  const digests: Record<string, string[]> = {};
  const add = (path: string, digest: string) => {
    const known = (digests[path] ??= []);
    if (!known.includes(digest)) known.push(digest);
  };
  for (const root of roots) {
    for (const f of scanDirectory(root, { ...(opts.prefix !== undefined ? { prefix: opts.prefix } : {}), ...(opts.alg ? { alg: opts.alg } : {}) })) add(f.path, f.digest);
    for (const e of imageBootEntries(root, opts.prefix)) add(e.path, e.digest);
  }
  return JSON.stringify({ meta: { version: 1 }, digests, excludes: opts.excludes ?? [], ima: { log_hash_alg: 'sha1' } });
}
