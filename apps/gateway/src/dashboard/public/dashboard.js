// The operators' dashboard: follows /dashboard/events (Server-Sent Events) and draws each snapshot.
// Plain browser JavaScript, no build step; charts with uPlot (served by the gateway from node_modules).
(function () {
  'use strict';

  const MAX_POINTS = 300;
  const PALETTE = ['#58a6ff', '#3fb950', '#d29922', '#f85149', '#bc8cff', '#39c5cf', '#ff7b72', '#e3b341', '#8b949e', '#56d364'];
  const MUTED = '#8b98a5';
  const GRID = '#2a333d';

  const points = [];
  const $ = (id) => document.getElementById(id);

  const dash = '–';
  const isNum = (x) => typeof x === 'number' && Number.isFinite(x);
  const pct = (x) => (isNum(x) ? `${(x * 100).toFixed(1)}%` : dash);
  const num = (x, digits = 0) => (isNum(x) ? x.toFixed(digits) : dash);
  const bytes = (n) => {
    if (!isNum(n)) return dash;
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) {
      n /= 1024;
      i++;
    }
    return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
  };

  // ---- charts ----

  const CHARTS = [
    {
      id: 'chart-sessions',
      series: [
        ['created', 'created'],
        ['ended', 'ended'],
        ['reads', 'reads'],
        ['writes', 'writes'],
      ],
      format: (v) => num(v, 1),
    },
    {
      id: 'chart-read',
      series: [
        ['readP50', 'p50'],
        ['readP95', 'p95'],
        ['readP99', 'p99'],
      ],
      format: (v) => num(v, 2),
    },
    {
      id: 'chart-write',
      series: [
        ['writeP50', 'p50'],
        ['writeP95', 'p95'],
        ['writeP99', 'p99'],
      ],
      format: (v) => num(v, 2),
    },
    {
      id: 'chart-cache',
      series: [
        ['cacheHitRatio', 'predictive cache hit ratio'],
        ['prefetchPrecision', 'prefetch precision'],
        ['edgeHitRatio', 'edge (L1) hit ratio'],
      ],
      format: pct,
      ratio: true,
    },
    {
      id: 'chart-predictions',
      series: [
        ['top1Accuracy', 'top-1'],
        ['listedAccuracy', 'in the list served'],
      ],
      format: pct,
      ratio: true,
    },
    {
      id: 'chart-tokens',
      series: [
        ['refreshed', 'refreshed on request'],
        ['pushedAcked', 'pre-minted, pushed and acknowledged'],
        ['refreshRefused', 'refused'],
        ['issued', 'issued'],
      ],
      format: (v) => num(v, 2),
    },
  ];

  function chartWidth(el) {
    return Math.max(280, el.clientWidth || 460);
  }

  function dataOf(def) {
    return [points.map((p) => p.t), ...def.series.map(([key]) => points.map((p) => (isNum(p[key]) ? p[key] : null)))];
  }

  function makeChart(def) {
    const el = $(def.id);
    const opts = {
      width: chartWidth(el),
      height: 200,
      series: [{}, ...def.series.map(([, label], i) => ({ label, stroke: PALETTE[i], width: 1.5, spanGaps: false, value: (_u, v) => def.format(v) }))],
      axes: [
        { stroke: MUTED, grid: { stroke: GRID, width: 1 }, ticks: { stroke: GRID } },
        { stroke: MUTED, grid: { stroke: GRID, width: 1 }, ticks: { stroke: GRID }, values: (_u, ticks) => ticks.map((v) => def.format(v)), size: 60 },
      ],
      scales: def.ratio ? { y: { range: [0, 1] } } : { y: { range: (_u, min, max) => [0, Math.max(max, 1)] } },
      legend: { live: true },
    };
    return { def, el, plot: new uPlot(opts, dataOf(def), el) };
  }

  const charts = CHARTS.map(makeChart);

  function redrawCharts() {
    for (const c of charts) c.plot.setData(dataOf(c.def));
  }

  // The token service's own buckets: refreshes /s (left axis) beside its measured and forecast load (right axis).
  const forecastEl = $('chart-token-forecast');
  const forecastPlot = new uPlot(
    {
      width: chartWidth(forecastEl),
      height: 200,
      series: [
        {},
        { label: 'refreshes /s', scale: 'n', stroke: PALETTE[0], width: 1.5, value: (_u, v) => num(v, 2) },
        { label: 'load (measured)', scale: 'u', stroke: PALETTE[1], width: 1.5, value: (_u, v) => pct(v) },
        { label: 'load (forecast)', scale: 'u', stroke: PALETTE[2], width: 1.5, dash: [4, 4], value: (_u, v) => pct(v) },
      ],
      axes: [
        { stroke: MUTED, grid: { stroke: GRID, width: 1 }, ticks: { stroke: GRID } },
        { scale: 'n', stroke: MUTED, grid: { stroke: GRID, width: 1 }, ticks: { stroke: GRID }, values: (_u, t) => t.map((v) => num(v, 1)), size: 50 },
        { scale: 'u', side: 1, stroke: MUTED, grid: { show: false }, values: (_u, t) => t.map((v) => pct(v)), size: 60 },
      ],
      scales: { n: { range: (_u, _min, max) => [0, Math.max(max, 1)] }, u: { range: (_u, _min, max) => [0, Math.max(max, 0.1)] } },
      legend: { live: true },
    },
    [[], [], [], []],
    forecastEl,
  );

  function renderTokenForecast(tokens) {
    const f = tokens.forecast;
    if (!f) {
      $('token-forecast-summary').textContent = tokens.forecastError || 'The token service did not answer.';
      return;
    }
    const pts = f.points;
    forecastPlot.setData([
      pts.map((p) => p.t),
      pts.map((p) => p.refreshes),
      pts.map((p) => p.utilisation),
      pts.map((p) => (isNum(p.forecast) ? p.forecast : null)),
    ]);
    const minutes = (s) => `${num(s / 60, s % 60 === 0 ? 0 : 1)} min`;
    $('token-forecast-summary').textContent =
      `Peak predicted: ${f.peakPredicted ? 'yes' : 'no'}. Access tokens live ${minutes(f.baseTtlSeconds)} (up to ${minutes(f.maxTtlSeconds)} in a predicted peak); ` +
      `${f.extendedTokens} issued longer. Scheduler: ${f.scheduler.refreshed} refreshed ahead, ${f.scheduler.letExpire} left to expire. ` +
      `${pts.length} buckets of ${num(f.bucketSeconds, f.bucketSeconds < 1 ? 2 : 0)} s.`;
  }

  window.addEventListener('resize', () => {
    for (const c of charts) c.plot.setSize({ width: chartWidth(c.el), height: 200 });
    forecastPlot.setSize({ width: chartWidth(forecastEl), height: 200 });
  });

  // ---- cluster map ----

  function cell(text, className) {
    const td = document.createElement('td');
    td.textContent = text;
    if (className) td.className = className;
    return td;
  }

  function renderNodes(cluster) {
    const body = $('nodes').querySelector('tbody');
    body.replaceChildren(
      ...cluster.nodes.map((n, i) => {
        const tr = document.createElement('tr');
        tr.dataset.node = n.nodeId;
        tr.dataset.status = n.status;
        const name = cell(n.nodeId);
        const swatch = document.createElement('span');
        swatch.className = 'swatch';
        swatch.style.background = PALETTE[i % PALETTE.length];
        name.prepend(swatch);
        const c = n.cache;
        const origins = document.createElement('td');
        for (const o of c ? c.origins : []) {
          const span = document.createElement('span');
          span.className = `breaker-${o.breaker}`;
          span.textContent = `${o.id} (${o.breaker}, ${num(o.latencyEwmaMs, 1)} ms) `;
          origins.append(span);
        }
        if (!c) origins.textContent = n.cacheError ? `no answer: ${n.cacheError}` : dash;
        tr.append(
          name,
          cell(n.status, `status-${n.status}`),
          cell(String(n.shards)),
          cell(String(n.awaitingHandoff)),
          cell(c ? num(c.sessionsInMemory) : dash),
          cell(c ? String(c.liveSessions) : dash),
          cell(c ? pct(c.hitRatio) : dash),
          cell(c ? pct(c.prefetchPrecision) : dash),
          cell(c ? `${bytes(c.usedBytes)} / ${bytes(c.budgetBytes)}` : dash),
          cell(c ? `${c.policy}${c.prefetch ? ' + prefetch' : ''}` : dash),
          cell(c ? (c.modelVersion ?? 'none') : dash),
          origins,
        );
        return tr;
      }),
    );
  }

  function renderShards(cluster) {
    const grid = $('shard-grid');
    if (grid.childElementCount !== cluster.shardCount) {
      grid.replaceChildren(...Array.from({ length: cluster.shardCount }, () => Object.assign(document.createElement('div'), { className: 'shard' })));
    }
    const handoff = new Set(cluster.handoffs.map((h) => h.shard));
    for (let s = 0; s < cluster.shardCount; s++) {
      const el = grid.children[s];
      const owner = cluster.owners[s];
      const color = owner >= 0 ? PALETTE[owner % PALETTE.length] : '';
      el.className = `shard${owner < 0 ? ' unowned' : ''}${handoff.has(s) ? ' handoff' : ''}`;
      el.style.background = color;
      el.style.borderColor = color;
      const who = owner >= 0 ? cluster.nodes[owner].nodeId : 'no owner';
      el.title = `shard ${s} · ${who} · epoch ${cluster.epochs[s]}${handoff.has(s) ? ' · in handoff' : ''}`;
    }
  }

  // ---- snapshot ----

  function render(snapshot) {
    const cluster = snapshot.cluster;
    const p = snapshot.point;
    $('updated').textContent = `updated ${new Date(snapshot.at).toLocaleTimeString()}`;
    const error = $('cluster-error');
    error.hidden = !snapshot.clusterError;
    error.textContent = snapshot.clusterError || '';
    if (cluster) {
      $('live-nodes').textContent = String(cluster.liveNodes);
      $('shard-count').textContent = String(cluster.shardCount);
      $('assignment-version').textContent = String(cluster.version);
      $('handoffs').textContent = String(cluster.handoffs.length);
      renderNodes(cluster);
      renderShards(cluster);
    }
    $('live-sessions').textContent = num(p.liveSessions);
    $('created-rate').textContent = num(p.created, 1);
    const nodes = cluster ? cluster.nodes.filter((n) => n.cache) : [];
    const hits = nodes.reduce((s, n) => s + n.cache.hits, 0);
    const misses = nodes.reduce((s, n) => s + n.cache.misses, 0);
    const used = nodes.reduce((s, n) => s + n.cache.prefetchUsed, 0);
    const wasted = nodes.reduce((s, n) => s + n.cache.prefetchWasted, 0);
    $('hit-ratio').textContent = pct(hits + misses > 0 ? hits / (hits + misses) : null);
    $('prefetch-precision').textContent = pct(used + wasted > 0 ? used / (used + wasted) : null);
    const pr = snapshot.predictions;
    $('top1').textContent = pct(pr.top1Accuracy);
    if (pr.served > 0) {
      const model = pr.model ? `model ${pr.model.kind} ${pr.model.version}` : 'model unknown';
      $('prediction-summary').textContent =
        `${pr.served} predictions served, ${pr.scored} scored: top-1 ${pct(pr.top1Accuracy)}, in the list ${pct(pr.listedAccuracy)} (${model}).`;
    }
    $('token-summary').textContent = `Open token WebSockets: ${num(snapshot.tokens.openSockets)}. Edge cache: ${num(snapshot.edgeCache.sessions)} sessions.`;
    renderTokenForecast(snapshot.tokens);
  }

  // ---- stream ----

  function setConnected(live) {
    const el = $('connection');
    el.textContent = live ? 'live' : 'reconnecting…';
    el.className = `pill ${live ? 'pill-live' : 'pill-wait'}`;
  }

  const source = new EventSource('/dashboard/events');
  source.addEventListener('open', () => setConnected(true));
  source.addEventListener('error', () => setConnected(false));
  source.addEventListener('history', (e) => {
    points.splice(0, points.length, ...JSON.parse(e.data).history);
    redrawCharts();
  });
  source.addEventListener('snapshot', (e) => {
    const snapshot = JSON.parse(e.data);
    points.push(snapshot.point);
    if (points.length > MAX_POINTS) points.splice(0, points.length - MAX_POINTS);
    setConnected(true);
    render(snapshot);
    redrawCharts();
  });
})();
