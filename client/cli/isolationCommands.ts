// The isolation side of the `tvdc` CLI (the paper's section 3.1): hosts, TVDc groups, policies,
// labels, network segments and reported violations, one file per noun.
import type { Verb } from './commandKit.js';
import { GROUPS_NOUNS } from './groupsCommands.js';
import { HOSTS_NOUNS } from './hostsCommands.js';
import { LABELS_NOUNS } from './labelsCommands.js';
import { POLICY_NOUNS } from './policyCommands.js';
import { SEGMENTS_NOUNS } from './segmentsCommands.js';
import { VIOLATIONS_NOUNS } from './violationsCommands.js';

export const ISOLATION_NOUNS: Record<string, Record<string, Verb>> = {
  ...HOSTS_NOUNS,
  ...GROUPS_NOUNS,
  ...POLICY_NOUNS,
  ...LABELS_NOUNS,
  ...SEGMENTS_NOUNS,
  ...VIOLATIONS_NOUNS,
};
