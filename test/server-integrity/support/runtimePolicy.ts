// A Keylime runtime policy of every file under a VM image root, as a dcadmin would scan it from a
// clean image before anything runs in it.
import { hash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export function runtimePolicy(root: string): string {
  const digests: Record<string, string[]> = {};
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const f = join(d, n);
      if (statSync(f).isDirectory()) walk(f);
      else digests['/' + relative(root, f).split('\\').join('/')] = [hash('sha256', readFileSync(f), 'hex')];
    }
  };
  walk(root);
  return JSON.stringify({ meta: { version: 1 }, digests, excludes: ['/proc/.*'], ima: { log_hash_alg: 'sha1' } });
}
