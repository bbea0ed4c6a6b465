// A labeled virtual disk: a backing file on the host, its resource label, and the STE types it
// has been used under since it was last sanitized.

export interface VirtualDisk {
  name: string;
  path: string;
  sizeBytes: number;
  /** Resource label; undefined when unlabeled. */
  label: string | undefined;
  /** STE types of the labels the disk was used (attached to a running VM) under since its last wipe. */
  usedTypes: string[];
  sanitizedAt: string | undefined;
  sanitizedBy: string | undefined;
  createdAt: string;
}
