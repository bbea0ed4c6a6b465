#!/usr/bin/env node
// tvdc-cim: a wbemcli-compatible CIM client (same verbs, URL syntax, options, output and exit
// codes), plus eq, --pull, --json, listen and subscribe. See docs/client.md.
import { runTvdcCim } from '../cim/wbemcli/TvdcCimCommand.js';

const stop = new AbortController();
process.once('SIGINT', () => stop.abort());
process.once('SIGTERM', () => stop.abort());

const code = await runTvdcCim(process.argv.slice(2), {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  stopSignal: stop.signal,
});
// Let stdout drain before leaving; a pipe closed early (| head) is not an error.
process.stdout.on('error', () => undefined);
process.exitCode = code;
if (stop.signal.aborted) process.exit(code);
