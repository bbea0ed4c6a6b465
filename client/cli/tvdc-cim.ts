#!/usr/bin/env node
// tvdc-cim: a wbemcli-compatible CIM client (same verbs, URL syntax, options, output and exit
// codes), plus eq, --pull, --json, listen and subscribe. See docs/client.md.
import { runTvdcCim } from '../cim/wbemcli/TvdcCimCommand.js';
import { onClosedPipe } from './closedPipe.js';

const stop = new AbortController();
process.once('SIGINT', () => stop.abort());
process.once('SIGTERM', () => stop.abort());

onClosedPipe();

const code = await runTvdcCim(process.argv.slice(2), {
  // Waits for 'drain' when stdout is full, so huge enumerations stream instead of piling up.
  out: (s) => (process.stdout.write(s) ? undefined : new Promise<void>((r) => process.stdout.once('drain', r))),
  err: (s) => { process.stderr.write(s); },
  stopSignal: stop.signal,
});
process.exitCode = code;
if (stop.signal.aborted) process.exit(code);
