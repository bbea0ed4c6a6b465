// Paths of the shared, read-only integrity fixtures (read in place, never copied).
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const FIXTURES = fileURLToPath(new URL('../../../../shared/fixtures/integrity/', import.meta.url));
export const fixture = (name: string) => join(FIXTURES, name);
