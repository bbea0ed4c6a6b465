// A command-line usage error of tvdc-cim (wbemcli's "Cmd Exception"): bad verb, URL or argument.
// Exits 16 like wbemcli; `usage` asks for the usage text to be printed too.

export class CommandError extends Error {
  override readonly name = 'CommandError';
  readonly code = 'COMMAND';
  constructor(
    message: string,
    readonly usage = false,
    /** wbemcli's label: "Cmd" for the command line, "Url" for the object URL. */
    readonly category: 'Cmd' | 'Url' = 'Cmd',
  ) {
    super(message);
  }
}
