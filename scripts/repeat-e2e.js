#!/usr/bin/env node
/*
 * Runs the whole end-to-end tier N times in a row (default 10) and stops at the first red run:
 *   npm run test:e2e:repeat -- 10 [extra jest args]
 * Prints one line per run and a summary (runs, failures, wall time). Expects a built tree (`npm test`
 * or `npm run build` first): the services under test run from dist/.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const [first, ...rest] = process.argv.slice(2);
if (first === '--help' || first === '-h') {
  process.stdout.write('usage: npm run test:e2e:repeat -- [runs=10] [jest args...]\n');
  process.exit(0);
}
const runs = first === undefined ? 10 : Number(first);
if (!Number.isInteger(runs) || runs < 1) {
  process.stderr.write(`runs must be a positive whole number, got "${first}"\n`);
  process.exit(2);
}
const jest = require.resolve('jest/bin/jest', { paths: [root] });
const started = Date.now();
for (let i = 1; i <= runs; i++) {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [jest, '--selectProjects', 'e2e', '--runInBand', '--ci', ...rest], { cwd: root, stdio: 'inherit' });
  const secs = ((Date.now() - t0) / 1000).toFixed(0);
  process.stdout.write(`[e2e repeat] run ${i}/${runs}: ${r.status === 0 ? 'green' : 'RED'} in ${secs} s\n`);
  if (r.status !== 0) {
    process.stdout.write(`[e2e repeat] stopped: run ${i} failed after ${i - 1} green runs\n`);
    process.exit(1);
  }
}
process.stdout.write(`[e2e repeat] ${runs} of ${runs} runs green in ${((Date.now() - started) / 60000).toFixed(1)} min\n`);
