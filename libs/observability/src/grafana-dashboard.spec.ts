import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The Grafana dashboard in deploy/grafana queries only what the services export: every series is a
 * metric defined in the code (a histogram only through its `_bucket`, `_sum` or `_count` series),
 * or one of prom-client's default process metrics, and every label it filters or groups by is one
 * the metric has (or a label every series carries: service, node, and Prometheus' job and instance).
 */

const ROOT = join(__dirname, '..', '..', '..');
const DASHBOARD = join(ROOT, 'deploy', 'grafana', 'foresight.json');
const EVERY_SERIES = ['service', 'node', 'job', 'instance'];

type Kind = 'counter' | 'gauge' | 'histogram' | 'summary';
/** A metric the code defines; `labels` null when they could not be read from the source (not checked then). */
interface Definition {
  readonly kind: Kind;
  readonly labels: readonly string[] | null;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : sourceFiles(full);
    return e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts') ? [full] : [];
  });
}

const strings = (text: string) => [...text.matchAll(/'([^'\\]*)'/g)].map((m) => m[1]!);

/** String literals of an array literal, following `...name` spreads of `const name = [...]` in the same file. */
function arrayLabels(items: string, source: string): string[] | null {
  const labels = strings(items);
  for (const spread of items.matchAll(/\.\.\.(\w+)/g)) {
    const decl = new RegExp(`const ${spread[1]}\\s*=\\s*\\[([^\\]]*)\\]`).exec(source);
    if (!decl) return null;
    labels.push(...strings(decl[1]!));
  }
  return labels.sort();
}

/** Metric definitions in the code: `counter|gauge|histogram(registry, 'name', 'help', [labels])`, `new Counter({ name, … })` and name tables. */
export function metricDefinitions(files: readonly string[]): Map<string, Definition> {
  const defs = new Map<string, Definition>();
  for (const file of files) {
    const source = readFileSync(file, 'utf8');
    for (const m of source.matchAll(/\b(counter|gauge|histogram)\(\s*[\w.]+\s*,\s*'(foresight_[a-z0-9_]+)'\s*,\s*'(?:[^'\\]|\\.)*'\s*(,\s*\[([^\]]*)\])?/g)) {
      defs.set(m[2]!, { kind: m[1] as Kind, labels: m[3] ? arrayLabels(m[4]!, source) : [] });
    }
    for (const m of source.matchAll(/new (Counter|Gauge|Histogram)\(\{\s*name:\s*'(foresight_[a-z0-9_]+)'([\s\S]*?)\}\)/g)) {
      const body = m[3]!;
      const array = /labelNames:\s*\[([^\]]*)\]/.exec(body);
      const shorthand = /labelNames\s*[,}\n]/.test(body) ? arrayLabels('...labelNames', source) : [];
      defs.set(m[2]!, { kind: m[1]!.toLowerCase() as Kind, labels: array ? arrayLabels(array[1]!, source) : shorthand });
    }
    // Tables of counters without labels: [field, 'foresight_…_total', 'help'].
    for (const m of source.matchAll(/\[\s*'\w+'\s*,\s*'(foresight_[a-z0-9_]+_total)'\s*,\s*'/g)) defs.set(m[1]!, { kind: 'counter', labels: [] });
  }
  return defs;
}

/** prom-client's default metrics (process_…, nodejs_…), which every service's registry collects. */
async function defaultMetrics(): Promise<Map<string, Definition>> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = await registry.getMetricsAsJSON();
  return new Map(metrics.map((m) => [m.name, { kind: String(m.type) as Kind, labels: null }]));
}

/** The series a query names, resolved to its definition and the labels that series has. */
function resolve(series: string, defs: ReadonlyMap<string, Definition>): { labels: readonly string[] | null } | string {
  const suffix = /_(bucket|sum|count)$/.exec(series);
  const base = suffix ? series.slice(0, suffix.index) : series;
  const own = defs.get(series);
  if (own && own.kind !== 'histogram' && own.kind !== 'summary') return { labels: own.labels };
  const parent = suffix ? defs.get(base) : undefined;
  if (parent && (parent.kind === 'histogram' || parent.kind === 'summary')) {
    return { labels: parent.labels && (suffix![1] === 'bucket' ? [...parent.labels, 'le'] : parent.labels) };
  }
  if (own) return `${series} is a ${own.kind}: query ${series}_bucket, _sum or _count`;
  return `${series} is not a metric the services define`;
}

/** What is wrong with one PromQL expression, as sentences. */
export function expressionProblems(expr: string, defs: ReadonlyMap<string, Definition>): string[] {
  const problems: string[] = [];
  const labelsOf = new Map<string, readonly string[] | null>();
  for (const [series] of expr.matchAll(/\b(?:foresight|process|nodejs)_[a-z0-9_]+\b/g)) {
    const r = resolve(series, defs);
    if (typeof r === 'string') problems.push(r);
    else labelsOf.set(series, r.labels);
  }
  const has = (series: string, label: string) => {
    const labels = labelsOf.get(series);
    return labels === null || labels === undefined || EVERY_SERIES.includes(label) || labels.includes(label);
  };
  for (const m of expr.matchAll(/\b((?:foresight|process|nodejs)_[a-z0-9_]+)\s*\{([^}]*)\}/g)) {
    for (const [, label] of m[2]!.matchAll(/(\w+)\s*(?:=~|!~|!=|=)/g)) {
      if (!has(m[1]!, label!)) problems.push(`${m[1]} has no label "${label}"`);
    }
  }
  for (const m of expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)) {
    for (const label of m[1]!.split(',').map((l) => l.trim())) {
      for (const series of labelsOf.keys()) if (!has(series, label)) problems.push(`${series} has no label "${label}" to group by`);
    }
  }
  return problems;
}

interface GrafanaPanel {
  title?: string;
  panels?: GrafanaPanel[];
  targets?: { expr?: string }[];
}

function queries(panels: readonly GrafanaPanel[]): { title: string; expr: string }[] {
  return panels.flatMap((p) => [...(p.targets ?? []).filter((t) => t.expr).map((t) => ({ title: p.title ?? '', expr: t.expr! })), ...queries(p.panels ?? [])]);
}

describe('the Grafana dashboard (deploy/grafana/foresight.json)', () => {
  const code = metricDefinitions([...sourceFiles(join(ROOT, 'apps')), ...sourceFiles(join(ROOT, 'libs'))]);

  it('reads the metric definitions of the code, labels included', () => {
    expect(code.size).toBeGreaterThan(40);
    expect(code.get('foresight_http_request_seconds')).toEqual({ kind: 'histogram', labels: ['method', 'route', 'status'] });
    expect(code.get('foresight_cache_hits_total')).toEqual({ kind: 'counter', labels: [] });
    expect(code.get('foresight_consumer_poison_total')).toEqual({ kind: 'counter', labels: ['durable', 'reason', 'stream'] });
    expect(code.get('foresight_consumer_up')).toEqual({ kind: 'gauge', labels: ['durable', 'stream'] });
    expect(code.get('foresight_gateway_token_sockets')).toEqual({ kind: 'gauge', labels: [] });
  });

  it('queries only metrics the services export, with labels they have', async () => {
    const defs = new Map([...(await defaultMetrics()), ...code]);
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: GrafanaPanel[]; uid: string };
    const all = queries(dashboard.panels);
    expect(all.length).toBeGreaterThan(40);
    const problems = all.flatMap(({ title, expr }) => expressionProblems(expr, defs).map((p) => `${title}: ${p}`));
    expect(problems).toEqual([]);
  });

  it('would notice a metric that does not exist, a histogram queried by its bare name and a label a metric lacks', () => {
    expect(expressionProblems('sum(rate(foresight_no_such_metric_total[5m]))', code)).toEqual([
      'foresight_no_such_metric_total is not a metric the services define',
    ]);
    expect(expressionProblems('foresight_http_request_seconds', code)).toEqual([
      'foresight_http_request_seconds is a histogram: query foresight_http_request_seconds_bucket, _sum or _count',
    ]);
    expect(expressionProblems('sum(rate(foresight_cache_hits_total{origin="x"}[5m]))', code)).toEqual(['foresight_cache_hits_total has no label "origin"']);
    expect(expressionProblems('sum by (op) (rate(foresight_cache_hits_total[5m]))', code)).toEqual([
      'foresight_cache_hits_total has no label "op" to group by',
    ]);
    expect(expressionProblems('histogram_quantile(0.9, sum by (le, op) (rate(foresight_shard_rpc_seconds_bucket{ok="true"}[5m])))', code)).toEqual([]);
  });
});
