// The policy a host boots with before anyone sets one, after Xen's DEFAULT policy: the management
// label SystemManagement and __UNLABELED__ for everything else, which may share with it.
import type { Policy } from './Policy.js';
import { UNLABELED } from './reservedLabels.js';

export function defaultPolicy(): Policy {
  return {
    header: { name: 'DEFAULT', version: '1.0' },
    hasSte: true,
    hasChineseWall: true,
    steTypes: ['SystemManagement', UNLABELED],
    cwTypes: ['SystemManagement'],
    conflictSets: [],
    bootstrap: 'SystemManagement',
    vmLabels: [
      { name: 'SystemManagement', ste: ['SystemManagement', UNLABELED], cw: [] },
      { name: UNLABELED, ste: [UNLABELED], cw: [] },
    ],
    resourceLabels: [{ name: UNLABELED, ste: UNLABELED }],
  };
}
