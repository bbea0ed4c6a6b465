// Label names with a fixed meaning, as in Xen's ACM.

/** What an element without a label is treated as. A policy may define it to give such elements types. */
export const UNLABELED = '__UNLABELED__';
/** The implicit label with no types at all (Xen's ssid 0). It cannot be declared. */
export const NULL_LABEL = '__NULL_LABEL__';
/** What a resource becomes when a policy update deletes its label: no VM may use it. Cannot be declared. */
export const INACCESSIBLE = '__INACCESSIBLE__';

/** Names a policy document may not declare as a label or type. */
export const UNDECLARABLE: ReadonlySet<string> = new Set([NULL_LABEL, INACCESSIBLE]);
