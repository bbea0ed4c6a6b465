// The filters of a list query (a TVDc administrator's groups, a host, a time ...), added one
// condition at a time with their parameters, so the stores' list methods do not each assemble
// SQL text. Column names come from the code, never from a request; values are always parameters.

/**
 * A TVDc a listing covers, and the time (ISO 8601, the server's clock) its records count from:
 * the TVDc's creation for its own administrators, so a TVDc created again under a deleted one's
 * name does not show them the deleted one's history. Without `since`, all records of the name.
 */
export interface ListedGroup {
  name: string;
  since?: string;
}

export class WhereClause {
  private readonly conditions: string[] = [];
  readonly args: unknown[] = [];

  /** `column IN (values)`; an empty list matches nothing (a tvdcadmin of no TVDc sees nothing). */
  in(column: string, values: readonly unknown[] | undefined): this {
    if (values === undefined) return this;
    if (values.length === 0) this.conditions.push('0 = 1');
    else {
      this.conditions.push(`${column} IN (${values.map(() => '?').join(', ')})`);
      this.args.push(...values);
    }
    return this;
  }

  /**
   * Rows of these TVDcs, each from its `since` on: `((grp = ? AND at >= ?) OR grp = ? ...)`.
   * Undefined: no filter; an empty list matches nothing.
   */
  inGroups(groupColumn: string, timeColumn: string, groups: readonly ListedGroup[] | undefined): this {
    if (groups === undefined) return this;
    if (groups.length === 0) {
      this.conditions.push('0 = 1');
      return this;
    }
    const terms = groups.map((g) => {
      this.args.push(g.name);
      if (g.since === undefined) return `${groupColumn} = ?`;
      this.args.push(g.since);
      return `(${groupColumn} = ? AND ${timeColumn} >= ?)`;
    });
    this.conditions.push(`(${terms.join(' OR ')})`);
    return this;
  }

  /** `column = value`, unless the value is undefined (no such filter asked for). */
  equals(column: string, value: unknown): this {
    if (value === undefined) return this;
    this.conditions.push(`${column} = ?`);
    this.args.push(value);
    return this;
  }

  /** `column >= value`, unless undefined. */
  atLeast(column: string, value: unknown): this {
    if (value === undefined) return this;
    this.conditions.push(`${column} >= ?`);
    this.args.push(value);
    return this;
  }

  /** `WHERE ...`, or nothing without conditions. */
  toString(): string {
    return this.conditions.length ? `WHERE ${this.conditions.join(' AND ')}` : '';
  }
}
