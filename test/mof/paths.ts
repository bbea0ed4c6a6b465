// Where the MOF tests find the project's mof/ tree and the shared fixtures (read in place).
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const fixtures = resolve(projectRoot, '../shared/fixtures');
export const dmtfFixture = resolve(fixtures, 'cim/dmtf/dmtf-cim241-interop-min.mof');
export const pywbemMofDir = resolve(fixtures, 'cim/pywbem/mof');
export const projectMof = resolve(projectRoot, 'mof');
