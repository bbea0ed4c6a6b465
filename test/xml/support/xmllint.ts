// Validates many documents against the DSP0203 2.4.0 DTD with one real `xmllint` run, so that
// every encoder output in the tests is checked without one process per document.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DTD } from './paths.js';

export interface LintFailure {
  name: string;
  output: string;
}

/**
 * Returns the documents xmllint does not accept as valid per the DTD (an empty list when all
 * are valid). Files live in a temporary directory that is removed afterwards.
 */
export function dtdInvalid(docs: { name: string; xml: string }[]): LintFailure[] {
  if (docs.length === 0) return [];
  const dir = mkdtempSync(join(tmpdir(), 'tvdc-xmllint-'));
  try {
    const files = docs.map((d, i) => {
      const f = join(dir, `doc${i}.xml`);
      writeFileSync(f, d.xml);
      return f;
    });
    const failures: LintFailure[] = [];
    // Batches keep the command line well under the system limit.
    for (let start = 0; start < files.length; start += 500) {
      const batch = files.slice(start, start + 500);
      const r = spawnSync('xmllint', ['--noout', '--dtdvalid', DTD, ...batch], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      if (r.error) throw r.error;
      const out = `${r.stdout}${r.stderr}`;
      if (r.status === 0) continue;
      batch.forEach((f, j) => {
        const lines = out.split('\n').filter((l) => l.includes(f));
        if (lines.length > 0) failures.push({ name: docs[start + j]!.name, output: lines.join('\n') });
      });
      if (failures.length === 0) failures.push({ name: '(batch)', output: out });
    }
    return failures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Collects encoder outputs during a test file, to validate them in one go at its end. */
export class DtdBatch {
  readonly docs: { name: string; xml: string }[] = [];

  add(name: string, xml: string): string {
    this.docs.push({ name, xml });
    return xml;
  }
}
