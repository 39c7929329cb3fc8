#!/usr/bin/env node
/*
 * Fails when TypeScript files import each other in a circle (type-only imports included: a cycle
 * of types still ties two modules' designs together). Resolves imports the way the compiler does,
 * with tsconfig.json's `paths` (`@foresight/*`), so cycles across libraries count too.
 *
 *   npm run check:cycles            checks apps, libs, bench, tools, scripts, migrations, test, packages and examples
 *
 * Plain JavaScript over the TypeScript compiler API, so it runs without a build.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

/** Every .ts file under `dirs` (relative to `root`), except node_modules, dist and declaration files. */
function sourceFiles(root, dirs) {
  const out = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(full);
    }
  };
  for (const dir of dirs) if (fs.existsSync(path.join(root, dir))) walk(path.join(root, dir));
  return out.sort();
}

/** file → files it imports (within `files`), resolved with the compiler options of `tsconfigPath`. */
function importGraph(files, tsconfigPath) {
  const parsed = ts.getParsedCommandLineOfConfigFile(tsconfigPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
  if (!parsed) throw new Error(`cannot read ${tsconfigPath}`);
  const known = new Set(files);
  const graph = new Map();
  for (const file of files) {
    const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
    const targets = new Set();
    for (const ref of info.importedFiles) {
      const resolved = ts.resolveModuleName(ref.fileName, file, parsed.options, ts.sys).resolvedModule;
      const target = resolved && path.resolve(resolved.resolvedFileName);
      if (target && known.has(target) && target !== file) targets.add(target);
    }
    graph.set(file, [...targets].sort());
  }
  return graph;
}

/** Strongly connected components with more than one file (Tarjan), each as one concrete cycle. */
function cycles(graph) {
  let next = 0;
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const found = [];
  const visit = (v) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) !== index.get(v)) return;
    const component = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1) found.push(cycleWithin(graph, new Set(component)));
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** A shortest path from the component's first file back to itself, staying inside the component. */
function cycleWithin(graph, component) {
  const start = [...component].sort()[0];
  const previous = new Map([[start, null]]);
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift();
    for (const w of graph.get(v) ?? []) {
      if (!component.has(w)) continue;
      if (w === start) {
        const cycle = [];
        for (let at = v; at !== null; at = previous.get(at)) cycle.unshift(at);
        return [...cycle, start];
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

/** The import cycles among the TypeScript files of `dirs` under `root`, as lists of root-relative paths. */
function findCycles(root, dirs, tsconfigPath = path.join(root, 'tsconfig.json')) {
  const graph = importGraph(sourceFiles(path.resolve(root), dirs), tsconfigPath);
  return cycles(graph).map((cycle) => cycle.map((file) => path.relative(root, file)));
}

module.exports = { findCycles };

if (require.main === module) {
  const root = path.resolve(__dirname, '..');
  const dirs = ['apps', 'libs', 'bench', 'tools', 'scripts', 'migrations', 'test', 'packages', 'examples'];
  const found = findCycles(root, dirs);
  if (found.length === 0) {
    process.stdout.write(`no import cycles among the TypeScript files of ${dirs.join(', ')}\n`);
  } else {
    process.stderr.write(`${found.length} import cycle(s); move what both sides need into a module of its own:\n`);
    for (const cycle of found) process.stderr.write(`  ${cycle.join(' -> ')}\n`);
    process.exit(1);
  }
}
