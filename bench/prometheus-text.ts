/**
 * Samples of one metric in a Prometheus exposition text (a service's `/metrics` page): every label
 * set, or only those whose labels contain `label` (e.g. `outcome="warm"`).
 */
export function metricSamples(text: string, name: string, label = ''): number[] {
  const out: number[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    if (label && !rest.includes(label)) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) out.push(value);
  }
  return out;
}

/** The sum of {@link metricSamples} (0 when the metric is absent). */
export function metricSum(text: string, name: string, label = ''): number {
  return metricSamples(text, name, label).reduce((a, b) => a + b, 0);
}

/** The `/metrics` pages of some services, read at once. */
export function scrapeMetrics(services: readonly { readonly httpUrl: string }[]): Promise<string[]> {
  return Promise.all(services.map(async (s) => (await fetch(`${s.httpUrl}/metrics`)).text()));
}
