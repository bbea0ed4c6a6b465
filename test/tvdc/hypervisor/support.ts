// Shared helpers for the isolation service tests: the paper's policies and a temp state dir.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const POLICY_1_0 = readFileSync(join(process.cwd(), 'fixtures', 'policies', 'paper-ma-su.xml'), 'utf8');
export const POLICY_1_1 = readFileSync(join(process.cwd(), 'fixtures', 'policies', 'paper-ma-su-1.1.xml'), 'utf8');

/** Runs `fn` and returns the error it throws (fails the test when it does not throw). */
export async function rejection(fn: () => unknown): Promise<Error & { code?: string; details?: unknown }> {
  try {
    await fn();
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected the operation to be refused');
}
