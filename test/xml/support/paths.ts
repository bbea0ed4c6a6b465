// Where the xml tests find the project's shared fixtures (read in place, never copied).
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const PROJECT_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const FIXTURES = join(PROJECT_ROOT, '..', 'shared', 'fixtures');
export const CIM_FIXTURES = join(FIXTURES, 'cim');
export const DTD = join(CIM_FIXTURES, 'dmtf', 'DSP0203_2.4.0.dtd');
