// The report as one self-contained HTML file: the tables rendered here (every string escaped), the
// charts drawn in the browser by uPlot, whose minified bundle and stylesheet are read from
// node_modules now and inlined with the page's own script. The page loads nothing: a
// Content-Security-Policy forbids every fetch, so it opens the same offline as online.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { reportClient, type ChartData } from './client.js';
import type { ConfigView, ReportData, Stat } from './model.js';

/** Paul Tol's colour-blind-safe qualitative palette, then a few more. */
export const PALETTE = ['#4477aa', '#ee6677', '#228833', '#ccbb44', '#66ccee', '#aa3377', '#bbbbbb', '#000000', '#ee7733', '#0077bb', '#33bbee', '#009988'];

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON for a <script type="application/json"> block: nothing in it can close the element. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** A script's source, safe inside <script>…</script>. */
function inlineScript(source: string): string {
  return source.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

export interface ChartLibrary {
  js: string;
  css: string;
  version: string;
}

/** uPlot's minified IIFE bundle and stylesheet, from node_modules. */
export function loadChartLibrary(): ChartLibrary {
  const require = createRequire(import.meta.url);
  const pkgFile = require.resolve('uplot/package.json');
  const dir = path.dirname(pkgFile);
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { version: string };
  return {
    js: readFileSync(path.join(dir, 'dist', 'uPlot.iife.min.js'), 'utf8'),
    css: readFileSync(path.join(dir, 'dist', 'uPlot.min.css'), 'utf8'),
    version: pkg.version,
  };
}

const fmt = (v: number | null, digits: number): string => {
  if (v === null || !Number.isFinite(v)) return '—';
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
};

function statCell(s: Stat, digits: number): string {
  const text = s.mean === null ? '—' : s.std === null ? fmt(s.mean, digits) : `${fmt(s.mean, digits)} ± ${fmt(s.std, digits)}`;
  return `<td class="num" data-sort="${s.mean === null ? '' : escapeHtml(s.mean)}">${escapeHtml(text)}</td>`;
}

function verdictValue(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toPrecision(4);
  if (v === null || v === undefined) return '—';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** A fraction of the baseline (check.json's change and allowed) as a percentage: 0.031 → "+3.1 %". */
function percent(v: unknown, signed: boolean): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return verdictValue(v);
  const p = (v * 100).toFixed(1);
  return `${signed && v > 0 ? '+' : ''}${p} %`;
}

const CSS = `
:root { color-scheme: light; --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --bg2: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); margin: 0 auto; padding: 16px 24px 48px; max-width: 1280px; }
h1 { font-size: 22px; margin: 8px 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 16px 0 6px; }
.meta, .note { color: var(--muted); }
table { border-collapse: collapse; margin: 6px 0 12px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--bg2); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.sortable th { cursor: pointer; user-select: none; }
table.sortable th::after { content: " ↕"; color: #aab; }
table.sortable th[aria-sort=ascending]::after { content: " ▲"; color: var(--fg); }
table.sortable th[aria-sort=descending]::after { content: " ▼"; color: var(--fg); }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: baseline; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
.chart { flex: 1 1 560px; min-width: 320px; }
.legend { display: flex; flex-wrap: wrap; gap: 12px; margin: 4px 0; }
pre, .sample { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; white-space: pre-wrap; word-break: break-word; margin: 0; }
.sample .prefix { color: var(--muted); }
.pass { color: #1a7f37; font-weight: 600; }
.fail { color: #cf222e; font-weight: 600; }
.tag { display: inline-block; padding: 0 6px; border-radius: 8px; background: #fff1e5; color: #953800; font-size: 12px; }
details { margin: 6px 0; }
`;

function summaryTable(data: ReportData, colors: Map<string, string>): string {
  const rows = data.configs.map((c, i) => `<tr data-config="${escapeHtml(c.id)}">` +
    `<td class="num" data-sort="${i + 1}">${i + 1}</td>` +
    `<td><span class="swatch" style="background:${colors.get(c.id)}"></span>${escapeHtml(c.label)}${c.seesFuture ? ' <span class="tag">sees the future</span>' : ''}</td>` +
    `<td class="num">${c.n}</td>` +
    `<td class="num">${c.unfinished}</td>` +
    statCell(c.val, 3) + statCell(c.train, 3) + statCell(c.tokensPerSecond, 0) +
    `<td><code>${escapeHtml(c.id)}</code></td></tr>`).join('\n');
  return `<table id="summary" class="sortable">
<thead><tr><th>rank</th><th>configuration</th><th>n</th><th>not finished</th><th>val perplexity (mean ± std)</th><th>train perplexity (mean ± std)</th><th>tokens/s (mean ± std)</th><th>configuration id</th></tr></thead>
<tbody>
${rows}
</tbody></table>`;
}

function differencesSection(data: ReportData, colors: Map<string, string>): string {
  const shared = Object.entries(data.shared);
  const sharedTable = `<details><summary>${shared.length} settings every configuration shares</summary>
<table id="shared"><thead><tr><th>param</th><th>value</th></tr></thead><tbody>
${shared.map(([k, v]) => `<tr><td><code>${escapeHtml(k)}</code></td><td><code>${escapeHtml(v)}</code></td></tr>`).join('\n')}
</tbody></table></details>`;
  if (data.varying.length === 0) {
    return `<p class="note">One configuration: nothing but the seed differs between trials.</p>\n${sharedTable}`;
  }
  const rows = data.configs.map((c) => `<tr><td><span class="swatch" style="background:${colors.get(c.id)}"></span>${escapeHtml(c.label)}</td>` +
    data.varying.map((k) => `<td><code>${escapeHtml(c.values[k] ?? '')}</code></td>`).join('') + '</tr>').join('\n');
  return `<table id="differences" class="sortable"><thead><tr><th>configuration</th>${data.varying.map((k) => `<th><code>${escapeHtml(k)}</code></th>`).join('')}</tr></thead>
<tbody>
${rows}
</tbody></table>
${sharedTable}`;
}

function legend(configs: ConfigView[], colors: Map<string, string>): string {
  return `<div class="legend">${configs.map((c) => `<span><span class="swatch" style="background:${colors.get(c.id)}"></span>${escapeHtml(c.label)}</span>`).join('')}</div>`;
}

function samplesSection(data: ReportData): string {
  const parts: string[] = [];
  for (const c of data.configs) {
    const trials = data.trials.filter((t) => t.configId === c.id);
    if (trials.length === 0) continue;
    // one row per (epoch, prefix) any seed sampled; one column per seed
    const keys = new Map<string, { epoch: number; prefix: string }>();
    for (const t of trials) for (const s of t.samples) keys.set(JSON.stringify([s.epoch, s.prefix]), { epoch: s.epoch, prefix: s.prefix });
    if (keys.size === 0) continue;
    const ordered = [...keys.values()].sort((a, b) => a.epoch - b.epoch || (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0));
    const rows = ordered.map((k) => `<tr><td class="num">${k.epoch}</td><td><pre>${escapeHtml(JSON.stringify(k.prefix))}</pre></td>` +
      trials.map((t) => {
        const s = t.samples.find((x) => x.epoch === k.epoch && x.prefix === k.prefix);
        return `<td class="sample">${s ? `<pre><span class="prefix">${escapeHtml(s.prefix)}</span>${escapeHtml(s.text.startsWith(s.prefix) ? s.text.slice(s.prefix.length) : s.text)}</pre>` : '—'}</td>`;
      }).join('') + '</tr>').join('\n');
    parts.push(`<h3>${escapeHtml(c.label)}</h3>
<table class="samples" data-config="${escapeHtml(c.id)}"><thead><tr><th>epoch</th><th>prefix</th>${trials.map((t) => `<th>seed ${escapeHtml(t.seed)}</th>`).join('')}</tr></thead>
<tbody>
${rows}
</tbody></table>`);
  }
  return parts.length > 0 ? parts.join('\n') : '<p class="note">No trial recorded samples.</p>';
}

function failuresSection(data: ReportData): string {
  if (data.failures.length === 0) return '<p class="note">Every trial has a finished run.</p>';
  const rows = data.failures.map((f) => `<tr><td>${escapeHtml(f.configLabel)}</td><td class="num">${escapeHtml(f.seed)}</td>` +
    `<td>${escapeHtml(f.status)}</td><td>${escapeHtml(f.reason || '—')}</td><td><pre>${escapeHtml(f.error || '—')}</pre></td>` +
    `<td><code>${escapeHtml(f.trialId)}</code></td><td><code>${escapeHtml(f.runId)}</code></td></tr>`).join('\n');
  return `<table id="failures" class="sortable"><thead><tr><th>configuration</th><th>seed</th><th>status</th><th>reason</th><th>error</th><th>trial id</th><th>run id</th></tr></thead>
<tbody>
${rows}
</tbody></table>`;
}

function checkSection(data: ReportData): string {
  const check = data.check;
  if (check === null) return '<p class="note">No <code>run-sweep check</code> has run on this experiment.</p>';
  const rows = check.verdicts.map((v) => {
    const cls = /^(pass|ok)/i.test(v.verdict) ? 'pass' : /fail|regress|missing/i.test(v.verdict) ? 'fail' : '';
    return `<tr><td>${escapeHtml(v.label)}</td><td>${escapeHtml(v.metric)}</td><td class="num">${escapeHtml(verdictValue(v.baseline))}</td>` +
      `<td class="num">${escapeHtml(verdictValue(v.now))}</td><td class="num">${escapeHtml(percent(v.change, true))}</td>` +
      `<td class="num">${escapeHtml(percent(v.allowed, false))}</td><td class="${cls}">${escapeHtml(v.verdict)}</td><td>${escapeHtml(v.note)}</td></tr>`;
  }).join('\n');
  return `<p class="meta">The latest check: run <code>${escapeHtml(check.runName || check.runId)}</code>, ${escapeHtml(new Date(check.startTime).toISOString())}, baseline <code>${escapeHtml(check.baseline)}</code>.</p>
<table id="check" class="sortable"><thead><tr><th>configuration</th><th>metric</th><th>baseline</th><th>now</th><th>change</th><th>allowed</th><th>verdict</th><th>note</th></tr></thead>
<tbody>
${rows}
</tbody></table>`;
}

export function renderReport(data: ReportData, lib: ChartLibrary = loadChartLibrary()): string {
  const colors = new Map(data.configs.map((c, i) => [c.id, PALETTE[i % PALETTE.length]!]));
  const chartData: ChartData = {
    configs: data.configs.map((c) => ({
      label: c.label,
      color: colors.get(c.id)!,
      epochs: c.epochs,
      train: c.curves.train,
      val: c.curves.val,
      tokensPerSecond: c.tokensPerSecond.mean,
    })),
  };
  const trialCount = data.trials.length + data.failures.length;
  const plotted = data.configs.filter((c) => c.epochs.length > 0);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="run-sweep report (uPlot ${escapeHtml(lib.version)})">
<title>${escapeHtml(data.experiment)} — run-sweep report</title>
<style>${lib.css}</style>
<style>${CSS}</style>
</head>
<body>
<h1>${escapeHtml(data.experiment)}</h1>
<p class="meta">${data.configs.length} configuration(s), ${trialCount} trial(s): ${data.trials.length} finished, ${data.failures.length} failed or killed. Read from <code>${escapeHtml(data.source)}</code> at ${escapeHtml(data.generatedAt)}.
Seeds are replicates: each configuration shows the mean ± sample standard deviation (n − 1) over its finished seeds, n of them; the curves show the mean over seeds with a band from the lowest to the highest seed.</p>
${data.notes.map((n) => `<p class="note">${escapeHtml(n)}</p>`).join('\n')}

<h2 id="summary-heading">Configurations</h2>
<p class="note">Ranked by mean final validation perplexity; click a column header to sort.</p>
${summaryTable(data, colors)}

<h2>Learning curves</h2>
<label><input type="checkbox" id="log-scale"> logarithmic perplexity axis</label>
${legend(plotted, colors)}
${data.configs.length > plotted.length ? `<p class="note">No curve for ${data.configs.filter((c) => c.epochs.length === 0).map((c) => escapeHtml(c.label)).join(', ')}: no finished seed.</p>` : ''}
<div class="charts">
<div class="chart" id="chart-train"></div>
<div class="chart" id="chart-val"></div>
</div>

<h2>Speed</h2>
<div class="chart" id="chart-tps"></div>

<h2>What differs between configurations</h2>
${differencesSection(data, colors)}

<h2>Samples</h2>
<p class="note">Each trial's generated text per epoch, seeds side by side, for the same prefixes (the prefix in grey).</p>
${samplesSection(data)}

<h2>Failed and killed trials</h2>
${failuresSection(data)}

<h2>Check verdicts</h2>
${checkSection(data)}

<script type="application/json" id="chart-data">${scriptJson(chartData)}</script>
<script>${inlineScript(lib.js)}</script>
<script>(${inlineScript(reportClient.toString())})();</script>
</body>
</html>
`;
}
