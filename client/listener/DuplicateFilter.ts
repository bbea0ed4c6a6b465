// Remembers which (SequenceContext, SequenceNumber) pairs were delivered, so an indication a server
// re-sends (DSP1054 reliable delivery retries after a lost response) reaches the callbacks once.
// Bounded: only the most recent numbers per context and the most recent contexts are kept.

export class DuplicateFilter {
  private readonly contexts = new Map<string, Set<string>>();

  constructor(
    private readonly perContext = 4096,
    private readonly maxContexts = 256,
  ) {}

  /** True the first time a pair is seen; false for a repeat. Indications without both always pass. */
  firstSeen(context: string | undefined, sequenceNumber: string | undefined): boolean {
    if (context === undefined || sequenceNumber === undefined) return true;
    let seen = this.contexts.get(context);
    if (!seen) {
      seen = new Set();
      this.contexts.set(context, seen);
      if (this.contexts.size > this.maxContexts) {
        // A Map iterates in insertion order: the first key is the oldest context.
        this.contexts.delete(this.contexts.keys().next().value as string);
      }
    } else {
      // Refresh the context's age.
      this.contexts.delete(context);
      this.contexts.set(context, seen);
    }
    if (seen.has(sequenceNumber)) return false;
    seen.add(sequenceNumber);
    if (seen.size > this.perContext) seen.delete(seen.values().next().value as string);
    return true;
  }
}
