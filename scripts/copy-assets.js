#!/usr/bin/env node
/*
 * Part of the build: copies the files tsc does not emit (folders named `public` under apps/, such as
 * the gateway's dashboard page) to the same place under dist/, where the compiled services look.
 * Plain JavaScript with no dependencies.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

function publicFolders(dir) {
  const found = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name === 'node_modules') continue;
    const full = path.join(dir, entry.name);
    if (entry.name === 'public') found.push(full);
    else found.push(...publicFolders(full));
  }
  return found;
}

for (const from of publicFolders(path.join(root, 'apps'))) {
  const to = path.join(root, 'dist', path.relative(root, from));
  fs.rmSync(to, { recursive: true, force: true });
  fs.cpSync(from, to, { recursive: true });
}
