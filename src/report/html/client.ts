// The report's script, run in the browser: sortable tables, and the charts drawn with uPlot (inlined
// before this script). It is written here as a function so that the compiler checks its syntax;
// render.ts inlines its source text. It must not refer to anything outside itself: no imports,
// no helpers of this module. The DOM is typed loosely on purpose (the project compiles without
// the DOM library).

declare const document: any;
declare const uPlot: any;

/** What the page's JSON block holds for the charts. */
export interface ChartData {
  configs: Array<{
    label: string;
    color: string;
    epochs: number[];
    train: { mean: Array<number | null>; min: Array<number | null>; max: Array<number | null> };
    val: { mean: Array<number | null>; min: Array<number | null>; max: Array<number | null> };
    tokensPerSecond: number | null;
  }>;
}

export function reportClient(): void {
  const data: ChartData = JSON.parse(document.getElementById('chart-data').textContent);

  // ---- sortable tables: click a header; again to reverse ----
  for (const table of document.querySelectorAll('table.sortable')) {
    const headers = table.querySelectorAll('thead th');
    headers.forEach((th: any, col: number) => {
      th.addEventListener('click', () => {
        const dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
        headers.forEach((h: any) => h.removeAttribute('aria-sort'));
        th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
        const body = table.tBodies[0];
        const rows = Array.from(body.rows) as any[];
        const key = (row: any): { n: number; s: string } => {
          const cell = row.cells[col];
          const raw = cell.getAttribute('data-sort') ?? cell.textContent.trim();
          const n = Number(raw);
          return { n: raw !== '' && Number.isFinite(n) ? n : NaN, s: raw };
        };
        rows.sort((a, b) => {
          const x = key(a);
          const y = key(b);
          // rows without a number (no finished seed) stay last either way
          if (Number.isNaN(x.n) !== Number.isNaN(y.n)) return Number.isNaN(x.n) ? 1 : -1;
          const c = Number.isNaN(x.n) ? x.s.localeCompare(y.s) : x.n - y.n;
          return c * dir;
        });
        for (const row of rows) body.appendChild(row);
      });
    });
  }

  // ---- charts ----
  const width = (el: any): number => Math.max(320, Math.min(900, el.clientWidth || 640));
  const alpha = (hex: string, a: number): string => {
    const n = parseInt(hex.slice(1), 16);
    return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${a})`;
  };
  const plotted = data.configs.filter((c) => c.epochs.length > 0);
  const charts: any[] = [];

  const curveChart = (id: string, metric: 'train' | 'val', title: string, log: boolean): void => {
    const el = document.getElementById(id);
    if (!el) return;
    el.textContent = '';
    const epochs = Array.from(new Set(plotted.flatMap((c) => c.epochs))).sort((a, b) => a - b);
    const series: any[] = [{ label: 'epoch' }];
    const columns: Array<Array<number | null>> = [epochs];
    const bands: any[] = [];
    for (const c of plotted) {
      const at = (arr: Array<number | null>): Array<number | null> =>
        epochs.map((e) => {
          const i = c.epochs.indexOf(e);
          const v = i < 0 ? null : arr[i] ?? null;
          return v !== null && (!log || v > 0) ? v : null;
        });
      const meanIdx = columns.length;
      columns.push(at(c[metric].mean), at(c[metric].max), at(c[metric].min));
      series.push(
        { label: c.label, stroke: c.color, width: 2, points: { show: true, size: 5, fill: c.color } },
        { label: `${c.label} max`, stroke: alpha(c.color, 0.35), width: 1, points: { show: false } },
        { label: `${c.label} min`, stroke: alpha(c.color, 0.35), width: 1, points: { show: false } },
      );
      bands.push({ series: [meanIdx + 1, meanIdx + 2], fill: alpha(c.color, 0.15) });
    }
    const opts = {
      title,
      width: width(el),
      height: 320,
      legend: { show: false },
      cursor: { show: true },
      scales: { x: { time: false }, y: log ? { distr: 3, log: 10 } : { auto: true } },
      axes: [{ label: 'epoch', incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] }, { label: log ? 'perplexity (log)' : 'perplexity', size: 60 }],
      series,
      bands,
    };
    const chart = new uPlot(opts, columns, el);
    charts.push(chart);
    el.setAttribute('data-series', String(plotted.length));
    // what the chart really uses (distr 3 is uPlot's log scale), for tests and curious readers
    el.setAttribute('data-scale', chart.scales.y.distr === 3 ? 'log' : 'linear');
  };

  const drawCurves = (log: boolean): void => {
    curveChart('chart-train', 'train', 'training perplexity per epoch', log);
    curveChart('chart-val', 'val', 'validation perplexity per epoch', log);
  };

  const tpsChart = (): void => {
    const el = document.getElementById('chart-tps');
    if (!el) return;
    const bars = data.configs.filter((c) => c.tokensPerSecond !== null);
    const xs = bars.map((_c, i) => i);
    const series: any[] = [{ label: 'configuration' }];
    const columns: Array<Array<number | null>> = [xs];
    bars.forEach((c, i) => {
      // one series per configuration, non-null at its own x only: each bar keeps the curves' colour
      columns.push(xs.map((x) => (x === i ? c.tokensPerSecond : null)));
      series.push({ label: c.label, stroke: c.color, fill: alpha(c.color, 0.8), width: 1, points: { show: false },
        paths: uPlot.paths.bars({ size: [0.6, 80] }) });
    });
    const opts = {
      title: 'training tokens/s (mean over seeds)',
      width: width(el),
      height: 280,
      legend: { show: false },
      scales: { x: { time: false, range: [-0.5, Math.max(0.5, bars.length - 0.5)] }, y: { range: (_u: any, _min: number, max: number) => [0, max * 1.1] } },
      axes: [
        { label: 'configuration', splits: () => xs, values: (_u: any, splits: number[]) => splits.map((s) => bars[s]?.label ?? '') },
        { label: 'tokens/s', size: 70 },
      ],
      series,
    };
    charts.push(new uPlot(opts, columns, el));
    el.setAttribute('data-series', String(bars.length));
  };

  const toggle = document.getElementById('log-scale');
  drawCurves(Boolean(toggle?.checked));
  toggle?.addEventListener('change', () => {
    for (const c of charts.splice(0)) c.destroy();
    drawCurves(Boolean(toggle.checked));
    tpsChart();
  });
  tpsChart();
}
