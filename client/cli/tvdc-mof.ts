#!/usr/bin/env node
// tvdc-mof: the MOF compiler on the command line. `check` compiles files and reports every error as
// file:line:col; `show` prints a class, resolved with everything it inherits, as MOF.
import { compileMof, classToMof, projectMofFiles, DEFAULT_MOF_NAMESPACE, type CompileMofResult } from '../../src/mof/index.js';
import { onClosedPipe } from './closedPipe.js';

const USAGE = `usage: tvdc-mof check [-I DIR]... FILE...
       tvdc-mof show CLASS [-I DIR]... [FILE...]

check  compile the files; print "N classes, M instances, K qualifier types" (exit 0)
       or every error as file:line:col: message (exit 1)
show   print CLASS resolved (inherited members included) as MOF; without FILE the
       project's own schema (mof/tvdc.mof and mof/interop.mof) is used
-I DIR add DIR to the #pragma include search path (after the including file's directory)`;

interface Args {
  includeDirs: string[];
  rest: string[];
}

function parseArgs(argv: string[]): Args | string {
  const includeDirs: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-I' || a === '--include') {
      const d = argv[++i];
      if (d === undefined) return `${a} needs a directory`;
      includeDirs.push(d);
    } else if (a.startsWith('-I') && a.length > 2) includeDirs.push(a.slice(2));
    else if (a === '--') rest.push(...argv.slice(i + 1)), (i = argv.length);
    else if (a.startsWith('-') && a !== '-') return `unknown option ${a}`;
    else rest.push(a);
  }
  return { includeDirs, rest };
}

function printErrors(r: CompileMofResult): void {
  for (const e of r.errors) process.stdout.write(`${e.message}\n`);
}

function check(args: Args): number {
  if (args.rest.length === 0) {
    process.stderr.write(`tvdc-mof check: no MOF file given\n${USAGE}\n`);
    return 2;
  }
  const r = compileMof({ files: args.rest, includeDirs: args.includeDirs });
  if (r.errors.length) {
    printErrors(r);
    return 1;
  }
  process.stdout.write(`${r.classes.length} classes, ${r.instances.length} instances, ${r.qualifiers.length} qualifier types\n`);
  return 0;
}

function show(args: Args): number {
  const [className, ...files] = args.rest;
  if (!className) {
    process.stderr.write(`tvdc-mof show: no class named\n${USAGE}\n`);
    return 2;
  }
  const sources = files.length ? files : projectMofFiles();
  if (sources.length === 0) {
    process.stderr.write('tvdc-mof show: no FILE given and the project mof/ directory was not found\n');
    return 2;
  }
  const r = compileMof({ files: sources, includeDirs: args.includeDirs });
  if (r.errors.length) {
    printErrors(r);
    return 1;
  }
  // The default namespace first, then any other the files created.
  const spaces = r.repository.namespaces();
  spaces.sort((a, b) => Number(b.toLowerCase() === DEFAULT_MOF_NAMESPACE) - Number(a.toLowerCase() === DEFAULT_MOF_NAMESPACE));
  for (const ns of spaces) {
    if (r.repository.hasClass(ns, className)) {
      process.stdout.write(`// namespace ${ns}\n${classToMof(r.repository.getClass(ns, className), { inherited: true })}`);
      return 0;
    }
  }
  process.stderr.write(`tvdc-mof show: class ${className} is not defined in ${sources.join(', ')}\n`);
  return 1;
}

function main(argv: string[]): number {
  const [verb, ...rest] = argv;
  if (verb === '-h' || verb === '--help' || verb === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const args = parseArgs(rest);
  if (typeof args === 'string') {
    process.stderr.write(`tvdc-mof: ${args}\n${USAGE}\n`);
    return 2;
  }
  if (verb === 'check') return check(args);
  if (verb === 'show') return show(args);
  process.stderr.write(`${verb ? `tvdc-mof: unknown command ${verb}\n` : ''}${USAGE}\n`);
  return 2;
}

onClosedPipe();
process.exitCode = main(process.argv.slice(2));
