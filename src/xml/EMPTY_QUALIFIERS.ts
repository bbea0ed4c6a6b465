// The one empty qualifier map that decoded instances and their properties share when the wire
// gave them no qualifiers (nearly always): it saves two allocations per property on every
// enumeration. It cannot be changed; code that wants to add qualifiers assigns a new NameMap.
import type { CimQualifier } from '../cim/CimQualifier.js';
import { NameMap } from '../cim/NameMap.js';

class FrozenEmptyNameMap<V> extends NameMap<V> {
  override set(name: string): this {
    throw new TypeError(`cannot set qualifier ${name}: this empty qualifier map is shared by decoded objects; assign a new NameMap instead`);
  }

  override delete(): boolean {
    return false;
  }

  override clear(): void {}
}

export const EMPTY_QUALIFIERS: NameMap<CimQualifier> = new FrozenEmptyNameMap<CimQualifier>();
