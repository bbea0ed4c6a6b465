// What the migration service needs from the integrity side to move a VM with a vTPM on its own:
// the isolation side owns this interface because it is registered first; providers/index.ts
// attaches the integrity side's implementation once that exists (never, with --vtpm off).

export interface VtpmMigrationKeys {
  /** This host's MigrationPublicKey (SPKI PEM), sent along as AcceptMigration's SourceMigrationKey. */
  ownPublicKeyPem(): string;
  /** True when the VM has a vTPM here that has to travel with it. */
  hasVtpm(vm: string): boolean;
  /**
   * Seals the VM's vTPM to `pem` for its next migration only, unless a destination key was
   * prepared (pinned) for it: then that one is used and a different `pem` throws ACCESS_DENIED
   * naming both fingerprints. Returns the undo to call once that migration is over.
   */
  useDestinationKeyOnce(vm: string, pem: string): () => void;
  /** The same at the destination: verifies the arriving vTPM with `pem` for this arrival only. */
  useSourceKeyOnce(vm: string, pem: string): () => void;
}

/** Where providers/index.ts attaches the integrity side's keys after both sides are registered. */
export class VtpmMigrationKeysSlot {
  private keys: VtpmMigrationKeys | null = null;

  attach(keys: VtpmMigrationKeys | null): void {
    this.keys = keys;
  }

  /** null while no integrity side is attached: then no VM has a vTPM to carry. */
  get(): VtpmMigrationKeys | null {
    return this.keys;
  }
}
