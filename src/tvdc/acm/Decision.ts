// The answer of the decision engine: permitted or not, which rule decided, and the evidence
// (types shared or missing, the conflict set and the running VM) so a denial explains itself.

export type DecisionRule = 'share' | 'access' | 'run' | 'collocation' | 'label';

export interface Decision {
  permitted: boolean;
  rule: DecisionRule;
  /** One sentence naming the rule, the labels and the types. */
  reason: string;
  subjectLabel: string;
  objectLabel?: string;
  /** share/access: the types both labels hold (non-empty when permitted). */
  commonTypes?: string[];
  /** run: the VM's STE types the host label does not cover. */
  missingTypes?: string[];
  /** collocation: the conflict set, the VM's type that conflicts, and who holds the other side. */
  conflictSet?: string;
  conflictingType?: string;
  runningVm?: string;
  runningType?: string;
}
