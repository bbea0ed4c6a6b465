// A reader that stops early (`tvdc ... | head`) closes the pipe; Node then reports every further
// write as an 'error' event, which with no listener ends the program with a stack trace. Shared by
// the programs in this folder.
/**
 * Listens for errors on stdout and stderr: by default the program ends quietly with the exit code
 * it has so far (the reader has what it wanted); a server that must keep serving passes a handler
 * that only stops writing there.
 */
export function onClosedPipe(closed: () => void = () => process.exit(process.exitCode ?? 0)): void {
  for (const stream of [process.stdout, process.stderr]) stream.on('error', closed);
}
