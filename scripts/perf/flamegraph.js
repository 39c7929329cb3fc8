#!/usr/bin/env node
/*
 * Turns a V8 CPU profile (`node --cpu-prof`, e.g. `npm run bench:store -- --cpu-prof <dir>`) into a
 * small self-contained flame-graph SVG, and prints the functions with the most self time.
 *
 *   node scripts/perf/flamegraph.js <profile.cpuprofile> [--out <file.svg>] [--min <pct>] [--from <s>] [--to <s>]
 *                                   [--title <text>] [--top <n>]
 *
 * Idle time is left out: widths are shares of the CPU the process used. Frames under `--min` percent
 * of it (default 0.5) are pruned, which keeps the SVG to a few hundred rectangles. `--from`/`--to`
 * keep only the samples between those seconds after the profile started (e.g. the measured phase).
 * The service a profile belongs to (gateway, shard, metadata) is read from its script paths.
 * Plain JavaScript, no dependencies.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const USAGE =
  'usage: node scripts/perf/flamegraph.js <profile.cpuprofile> [--out <file.svg>] [--min <pct>] [--from <s>] [--to <s>] [--title <text>] [--top <n>]';

function parseArgs(argv) {
  const opts = { file: undefined, out: undefined, minPct: 0.5, from: 0, to: Infinity, title: undefined, top: 25 };
  const problems = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) problems.push(`${a} needs a value`);
      return v;
    };
    const number = (min) => {
      const v = Number(value());
      if (!Number.isFinite(v) || v < min) problems.push(`${a} must be a number >= ${min}`);
      return v;
    };
    if (a === '--help' || a === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else if (a === '--out') opts.out = value();
    else if (a === '--min') opts.minPct = number(0);
    else if (a === '--from') opts.from = number(0);
    else if (a === '--to') opts.to = number(0);
    else if (a === '--title') opts.title = value();
    else if (a === '--top') opts.top = number(0);
    else if (a.startsWith('-')) problems.push(`unknown option ${a}`);
    else if (opts.file === undefined) opts.file = a;
    else problems.push(`one profile at a time (got ${a} too)`);
  }
  if (opts.file === undefined) problems.push('give the .cpuprofile file');
  if (problems.length > 0) {
    process.stderr.write(`${problems.join('; ')}\n${USAGE}\n`);
    process.exit(2);
  }
  return opts;
}

/** `dist/apps/shard/src/x.js` → `apps/shard/src/x.js`; `node_modules/pg/lib/x.js` → `pg/lib/x.js`. */
function shortUrl(url) {
  if (!url) return '';
  const u = url.replace(/^file:\/\//, '');
  const nm = u.lastIndexOf('node_modules/');
  if (nm >= 0) return u.slice(nm + 'node_modules/'.length);
  const dist = u.indexOf('/dist/');
  if (dist >= 0) return u.slice(dist + '/dist/'.length);
  return u.startsWith('node:') ? u : path.basename(u);
}

function frameName(cf) {
  const fn = cf.functionName || '(anonymous)';
  const url = shortUrl(cf.url);
  return url ? `${fn} ${url}:${cf.lineNumber + 1}` : fn;
}

/** Samples per node id, within the time window; idle samples dropped. */
function sampleCounts(profile, fromS, toS) {
  const counts = new Map();
  let t = 0;
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    t += deltas[i] ?? 0;
    const s = t / 1e6;
    if (s < fromS || s > toS) continue;
    counts.set(samples[i], (counts.get(samples[i]) ?? 0) + 1);
  }
  return counts;
}

/** Busy (non-idle) samples per 5 s of the whole profile: where the load phases are, for --from/--to. */
function busyTimeline(profile) {
  const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
  const buckets = [];
  let t = 0;
  (profile.samples ?? []).forEach((id, i) => {
    t += profile.timeDeltas?.[i] ?? 0;
    if (idle.has(id)) return;
    const b = Math.floor(t / 5e6);
    buckets[b] = (buckets[b] ?? 0) + 1;
  });
  return Array.from(buckets, (n, b) => `${b * 5}s:${n ?? 0}`).join(' ');
}

/** The call tree with total samples per frame, siblings of the same name merged. */
function buildTree(profile, counts) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const root = profile.nodes[0];
  const make = (name) => ({ name, self: 0, total: 0, children: new Map() });
  const walk = (node, into) => {
    if (node.callFrame.functionName === '(idle)') return 0;
    let total = counts.get(node.id) ?? 0;
    into.self += total;
    for (const childId of node.children ?? []) {
      const child = byId.get(childId);
      const name = frameName(child.callFrame);
      if (child.callFrame.functionName === '(idle)') continue;
      let slot = into.children.get(name);
      if (!slot) into.children.set(name, (slot = make(name)));
      const t = walk(child, slot);
      total += t;
    }
    into.total += total;
    return total;
  };
  const tree = make('all');
  walk(root, tree);
  return tree;
}

function serviceOf(profile) {
  for (const n of profile.nodes) {
    const m = /dist\/apps\/([\w-]+)\/src\//.exec(n.callFrame.url ?? '');
    if (m) return m[1];
  }
  return 'node';
}

function escapeXml(s) {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Deterministic warm colour per name, as flame graphs usually have. */
function colour(name) {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
  const lib = name.includes(' pg') || name.includes('pg/') || name.includes('nats/') || name.includes('fastify') || name.includes('@nestjs');
  const r = lib ? 120 + (h % 60) : 205 + (h % 50);
  const g = lib ? 150 + ((h >>> 8) % 60) : 80 + ((h >>> 8) % 130);
  const b = lib ? 200 + ((h >>> 16) % 55) : 40 + ((h >>> 16) % 50);
  return `rgb(${r},${g},${b})`;
}

function renderSvg(tree, { minPct, title }) {
  const width = 1200;
  const rowH = 16;
  const pad = 10;
  const minSamples = (tree.total * minPct) / 100;
  const rects = [];
  let maxDepth = 0;
  const place = (node, x, depth) => {
    maxDepth = Math.max(maxDepth, depth);
    rects.push({ node, x, depth });
    let cx = x;
    const kids = [...node.children.values()].sort((a, b) => a.name.localeCompare(b.name));
    for (const child of kids) {
      if (child.total >= minSamples) place(child, cx, depth + 1);
      cx += child.total;
    }
  };
  place(tree, 0, 0);
  const height = (maxDepth + 1) * rowH + 3 * pad + 20;
  const scale = (width - 2 * pad) / Math.max(1, tree.total);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="monospace" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${pad}" y="${pad + 12}" font-size="13">${escapeXml(title)}</text>`,
  ];
  for (const { node, x, depth } of rects) {
    const w = node.total * scale;
    const px = pad + x * scale;
    const py = height - pad - (depth + 1) * rowH;
    const pct = ((100 * node.total) / tree.total).toFixed(2);
    const label = `${node.name} (${pct}%, self ${((100 * node.self) / tree.total).toFixed(2)}%)`;
    const chars = Math.floor((w - 4) / 6.6);
    const text = chars >= 3 ? (node.name.length > chars ? `${node.name.slice(0, chars - 2)}..` : node.name) : '';
    out.push(
      `<g><title>${escapeXml(label)}</title><rect x="${px.toFixed(1)}" y="${py}" width="${w.toFixed(1)}" height="${rowH - 1}" fill="${colour(node.name)}"/>` +
        (text ? `<text x="${(px + 3).toFixed(1)}" y="${py + 11}">${escapeXml(text)}</text>` : '') +
        '</g>',
    );
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** Self samples per function (all call sites together), most first. */
function topSelf(tree) {
  const self = new Map();
  const walk = (node) => {
    self.set(node.name, (self.get(node.name) ?? 0) + node.self);
    for (const c of node.children.values()) walk(c);
  };
  walk(tree);
  return [...self.entries()].sort((a, b) => b[1] - a[1]);
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const profile = JSON.parse(fs.readFileSync(opts.file, 'utf8'));
  const service = serviceOf(profile);
  const counts = sampleCounts(profile, opts.from, opts.to);
  const tree = buildTree(profile, counts);
  const interval = (profile.endTime - profile.startTime) / Math.max(1, (profile.samples ?? []).length) / 1000;
  const busyMs = tree.total * interval;
  const title =
    opts.title ?? `${service}: ${(busyMs / 1000).toFixed(1)} s CPU in ${tree.total} samples; frames under ${opts.minPct}% pruned (hover for shares)`;
  const out = opts.out ?? opts.file.replace(/\.cpuprofile$/, '') + `.${service}.svg`;
  fs.writeFileSync(out, renderSvg(tree, { minPct: opts.minPct, title }));
  process.stdout.write(`${service}: ${tree.total} busy samples (${(busyMs / 1000).toFixed(1)} s CPU) -> ${out}\n`);
  process.stdout.write(`busy samples per 5 s since the process started: ${busyTimeline(profile)}\n`);
  for (const [name, n] of topSelf(tree).slice(0, opts.top)) process.stdout.write(`${((100 * n) / tree.total).toFixed(2).padStart(6)}%  ${name}\n`);
}

main();
