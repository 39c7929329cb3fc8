#!/usr/bin/env node
/*
 * Builds the publishable packages under packages/: each to ES modules (dist/esm) and CommonJS
 * (dist/cjs), with type declarations beside each, by running tsc twice. Then checks what would be
 * published:
 *   - a package with a browser entry is bundled by esbuild for the browser, and the build fails if
 *     the bundle pulls in any Node built-in module;
 *   - with --check-pack, `npm pack --dry-run` must list no tests, sources or source maps.
 *
 *   node packages/tools/build-package.js <package dir>...   (or --all)   [--check-pack]
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { builtinModules } = require('node:module');

const PACKAGES = path.resolve(__dirname, '..');
const ROOT = path.resolve(PACKAGES, '..');
// The order matters: the adapters compile against the client's declarations.
const ALL = ['client', 'express-session', 'nestjs', 'events'];

const args = process.argv.slice(2);
const checkPack = args.includes('--check-pack');
const dirs = args.includes('--all') ? ALL.map((p) => path.join(PACKAGES, p)) : args.filter((a) => !a.startsWith('--')).map((a) => path.resolve(a));
if (dirs.length === 0) {
  process.stderr.write('usage: node packages/tools/build-package.js <package dir>... | --all  [--check-pack]\n');
  process.exit(2);
}

const log = (msg) => process.stderr.write(`[build-package] ${msg}\n`);

function run(cmd, argv, cwd) {
  const r = spawnSync(cmd, argv, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(r.stdout + r.stderr);
    throw new Error(`${cmd} ${argv.join(' ')} failed in ${path.relative(ROOT, cwd) || '.'}`);
  }
  return r.stdout;
}

const tsc = require.resolve('typescript/bin/tsc', { paths: [ROOT] });

async function build(dir) {
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  fs.rmSync(path.join(dir, 'dist'), { recursive: true, force: true });
  run(process.execPath, [tsc, '-p', 'tsconfig.cjs.json'], dir);
  run(process.execPath, [tsc, '-p', 'tsconfig.esm.json'], dir);
  // Each output folder says how Node should load its .js files, whatever the package's own "type".
  fs.writeFileSync(path.join(dir, 'dist', 'cjs', 'package.json'), '{"type":"commonjs"}\n');
  fs.writeFileSync(path.join(dir, 'dist', 'esm', 'package.json'), '{"type":"module"}\n');
  log(`${pkg.name}@${pkg.version}: dist/esm, dist/cjs (with .d.ts)`);
  if (fs.existsSync(path.join(dir, 'dist', 'esm', 'browser.js'))) await checkBrowserBundle(dir, pkg.name);
  if (checkPack) checkPackContents(dir, pkg.name);
}

/** Bundles the browser entry as a browser bundler would, and refuses any Node built-in in it. */
async function checkBrowserBundle(dir, name) {
  const esbuild = require(require.resolve('esbuild', { paths: [ROOT] }));
  const nodeOnly = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
  const pulled = [];
  const result = await esbuild.build({
    entryPoints: [path.join(dir, 'dist', 'esm', 'browser.js')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    minify: true,
    logLevel: 'silent',
    plugins: [
      {
        name: 'no-node-modules',
        setup(b) {
          b.onResolve({ filter: /.*/ }, (a) => {
            if (nodeOnly.has(a.path) || a.path === 'ws') {
              pulled.push(`${a.path} (from ${path.relative(dir, a.importer)})`);
              return { path: a.path, external: true };
            }
            return undefined;
          });
        },
      },
    ],
  });
  if (pulled.length > 0) throw new Error(`${name}: the browser bundle pulls in Node-only modules: ${pulled.join(', ')}`);
  const bytes = result.outputFiles[0].contents.length;
  log(`${name}: browser bundle (esbuild, platform browser, minified) ${(bytes / 1024).toFixed(1)} KiB, no Node module`);
}

/** What `npm pack` would publish: no tests, no sources, no source maps. */
function checkPackContents(dir, name) {
  const out = run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], dir);
  const files = JSON.parse(out)[0].files.map((f) => f.path);
  const bad = files.filter((f) => /\.map$|\.spec\.|\.test\.|(^|\/)test\/|(^|\/)src\/|tsconfig/.test(f));
  if (bad.length > 0) throw new Error(`${name}: npm pack would publish ${bad.join(', ')}`);
  log(`${name}: npm pack lists ${files.length} files, no tests, sources or source maps`);
}

(async () => {
  for (const dir of dirs) await build(dir);
})().catch((error) => {
  log(error.message);
  process.exit(1);
});
