// Loaded by mocha before any test file (.mocharc.json `require`): the suite reads fixtures other
// projects wrote from the project's shared directory, which sits beside the clone as ../shared and
// is not part of this repository. Without it dozens of tests would fail each with its own ENOENT;
// this says once what is missing.
'use strict';
const { existsSync } = require('node:fs');
const { join, resolve } = require('node:path');

const fixtures = resolve(__dirname, '..', '..', '..', 'shared', 'fixtures');
if (!existsSync(join(fixtures, 'SOURCES.md'))) {
  throw new Error(`the tests read the project's shared fixtures from ${fixtures}, which is missing: put the project's shared/ directory beside this clone (as ../shared), then run npm test again`);
}
