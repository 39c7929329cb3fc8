#!/usr/bin/env node
/*
 * Self-bootstrapping entry for `npm start`, `npm test` and the bench/eval scripts.
 * Plain JavaScript with no dependencies, so it runs on a fresh clone before `npm install`.
 *
 *   node scripts/bootstrap.js start            install, build, start the whole local stack
 *   node scripts/bootstrap.js test [jest args] install, build, type-check, run every test tier
 *   node scripts/bootstrap.js run <path> [...] install, build, run dist/<path>.js with the arguments
 */
'use strict';
const { spawnSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const log = (msg) => process.stderr.write(`[foresight] ${msg}\n`);

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

function mustSh(cmd, args, what) {
  const status = sh(cmd, args);
  if (status !== 0) {
    log(`${what} failed (exit ${status}).`);
    process.exit(status);
  }
}

function mtime(file) {
  try {
    return fs.statSync(path.join(root, file)).mtimeMs;
  } catch {
    return 0;
  }
}

function ensureDependencies() {
  const installed = mtime('node_modules/.package-lock.json');
  const wanted = Math.max(mtime('package.json'), mtime('package-lock.json'));
  if (installed && installed >= wanted) return;
  log('installing dependencies (npm install, following package-lock.json) ...');
  // Not `npm ci`: this npm writes lock files without other platforms' optional native packages,
  // which `npm ci` then rejects as out of sync.
  mustSh('npm', ['install', '--no-audit', '--no-fund'], 'dependency installation');
}

function onPath(bin) {
  if (bin.includes('/')) return fs.existsSync(bin) ? bin : null;
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    const candidate = path.join(dir, bin);
    if (fs.existsSync(candidate)) return candidate;
  }
  return null;
}

/** nats-server from NATS_SERVER_BIN or PATH; installs Debian's package when missing and we are root. */
function ensureNatsServer() {
  if (process.env.NATS_URL) return;
  const wanted = process.env.NATS_SERVER_BIN || 'nats-server';
  if (onPath(wanted) || onPath('/usr/sbin/nats-server')) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot && onPath('apt-get')) {
    log('nats-server not found: installing Debian package nats-server ...');
    mustSh('apt-get', ['update', '-qq'], 'apt-get update');
    mustSh('apt-get', ['install', '-y', '-qq', 'nats-server'], 'apt-get install nats-server');
    return;
  }
  log(
    'nats-server was not found. Install it (Debian/Ubuntu: `apt-get install nats-server`; elsewhere see ' +
      'https://docs.nats.io), or set NATS_SERVER_BIN to its path, or NATS_URL to a running server with JetStream.',
  );
  process.exit(1);
}

function build() {
  log('building (tsc) ...');
  mustSh(process.execPath, [require.resolve('typescript/bin/tsc', { paths: [root] }), '-p', 'tsconfig.build.json'], 'build');
  mustSh(process.execPath, [require.resolve('tsc-alias/dist/bin/index.js', { paths: [root] }), '-p', 'tsconfig.build.json'], 'path alias rewrite');
  mustSh(process.execPath, [path.join(root, 'scripts', 'copy-assets.js')], 'copying the files tsc does not emit');
}

function runForwardingSignals(cmd, args, env) {
  const child = spawn(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  const forward = (sig) => child.kill(sig);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

const [command, ...rest] = process.argv.slice(2);
switch (command) {
  case 'start':
    ensureDependencies();
    ensureNatsServer();
    build();
    runForwardingSignals(process.execPath, ['dist/scripts/start-local.js', ...rest]);
    break;
  case 'test': {
    ensureDependencies();
    ensureNatsServer();
    build();
    log('type-checking (tsc --noEmit, tests included) ...');
    mustSh(process.execPath, [require.resolve('typescript/bin/tsc', { paths: [root] }), '-p', 'tsconfig.json', '--noEmit'], 'type check');
    const jest = require.resolve('jest/bin/jest', { paths: [root] });
    const ci = process.env.CI ? ['--ci'] : [];
    // Tiers run one after another: unit (parallel), then integration and e2e (one worker each,
    // since they start real servers and this machine has two cores).
    mustSh(process.execPath, [jest, '--selectProjects', 'unit', ...ci, ...rest], 'unit tests');
    mustSh(process.execPath, [jest, '--selectProjects', 'integration', '--runInBand', ...ci, ...rest], 'integration tests');
    mustSh(process.execPath, [jest, '--selectProjects', 'e2e', '--runInBand', ...ci, ...rest], 'end-to-end tests');
    break;
  }
  case 'run': {
    const [target, ...args] = rest;
    if (!target) {
      log('usage: node scripts/bootstrap.js run <path-without-extension> [args...]');
      process.exit(2);
    }
    ensureDependencies();
    // Benchmarks that start the real stack need nats-server as much as `npm start` does.
    const startsStack = /^bench\/(store|failover|prefetch-e2e|client)\//.test(target);
    if (startsStack && !args.includes('--help') && !args.includes('-h')) ensureNatsServer();
    build();
    runForwardingSignals(process.execPath, [path.join('dist', `${target}.js`), ...args]);
    break;
  }
  default:
    log('usage: node scripts/bootstrap.js start|test|run <script> [args...]');
    process.exit(2);
}
