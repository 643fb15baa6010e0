// `run-sweep report` in a real browser: Debian's chromium, driven by playwright-core, opens the
// report from file:// and finds every table row, every chart drawn, a column that sorts, no
// console error and no request but the file itself. Without chromium the test skips locally and
// fails in CI (CI=true).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { runCli } from './support/cli.js';
import { recordCheck, sweptWorkspace } from './support/report-sweep.js';

const CHROMIUM = process.env.RUN_SWEEP_CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOT_COPY = '/tmp/run-sweep-report.png';
const missing = !existsSync(CHROMIUM);
const inCi = process.env.CI === 'true';

// The callbacks below run in the page; the project compiles without the DOM library.
declare const document: any;
declare const window: any;

const HOSTILE = '<img src=x onerror="window.__pwned=1">&amp;';

/** How many pixels of the canvas under `selector` are within a small distance of each colour. */
async function colourCounts(page: Page, selector: string, colours: string[]): Promise<number[]> {
  return page.evaluate(([sel, cols]) => {
    const canvas = document.querySelector(`${sel} canvas`);
    if (!canvas) return cols.map(() => -1);
    const data: Uint8ClampedArray = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    const rgb = cols.map((c) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)));
    const counts = cols.map(() => 0);
    for (let p = 0; p < data.length; p += 4) {
      if (data[p + 3]! < 200) continue;
      rgb.forEach(([r, g, b], i) => {
        if (Math.abs(data[p]! - r!) + Math.abs(data[p + 1]! - g!) + Math.abs(data[p + 2]! - b!) < 60) counts[i]!++;
      });
    }
    return counts;
  }, [selector, colours] as const);
}

const columnTexts = (page: Page, table: string, col: number): Promise<string[]> =>
  page.$$eval(`${table} tbody tr`, (rows, c) => rows.map((r: any) => String(r.cells[c].textContent).trim()), col);

test('the report opens offline in chromium: every row, every chart, sorting, no errors, no requests', {
  skip: missing && !inCi ? `chromium not found at ${CHROMIUM} (apt-get install chromium); CI=true makes this a failure` : false,
  timeout: 180_000,
}, async () => {
  assert.ok(!missing, `chromium not found at ${CHROMIUM}: CI=true requires the browser test to run (apt-get install chromium)`);
  const cwd = await sweptWorkspace();
  await recordCheck(cwd, 'tiny-report', [
    { configId: 'ab2cc93c77', label: 'cell=rnn', metric: 'val_perplexity', baseline: 11.5, now: 11.58, change: 0.007, allowed: 0.03, verdict: 'pass' },
    { configId: '45d6842969', label: HOSTILE, metric: 'val_perplexity', baseline: 15, now: 20.69, change: 0.38, allowed: 0.03, verdict: 'fail', note: 'worse by more than max(3 %, 3 σ)' },
  ], Date.now() - 60_000);
  // a later check: the one the report shows
  await recordCheck(cwd, 'tiny-report', [
    { configId: 'ab2cc93c77', label: 'cell=rnn', metric: 'val_perplexity', baseline: 11.5, now: 11.58, change: 0.007, allowed: 0.03, verdict: 'pass' },
    { configId: '45d6842969', label: HOSTILE, metric: 'val_perplexity', baseline: 15, now: 20.69, change: 0.38, allowed: 0.03, verdict: 'fail', note: 'worse by more than max(3 %, 3 σ)' },
    { configId: '45d6842969', label: HOSTILE, metric: 'tokens_per_second', baseline: 15000, now: 14379, change: -0.04, allowed: 0.5, verdict: 'pass' },
  ]);
  const made = await runCli(['report', 'sweep.yaml', '--out', 'out/report.html'], cwd);
  assert.equal(made.code, 0, made.stderr);
  assert.match(made.stdout, /^wrote out\/report\.html: 3 configuration\(s\), 4 finished trial\(s\), 2 failed or killed, from the store /m);
  const file = join(cwd, 'out', 'report.html');
  const html = readFileSync(file, 'utf8');
  assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=/i, 'nothing is loaded from outside the file');
  const colours = [...html.matchAll(/<tr data-config="[^"]+"><td class="num" data-sort="\d+">\d+<\/td><td><span class="swatch" style="background:(#[0-9a-f]{6})/g)].map((m) => m[1]!);
  assert.equal(colours.length, 3, 'one summary row per configuration, each with its colour');

  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('request', (r) => requests.push(r.url()));
    const url = pathToFileURL(file).href;
    await page.goto(url, { waitUntil: 'load' });

    // every table row
    assert.deepEqual((await columnTexts(page, '#summary', 1)).sort(),
      ['cell=gru clip_norm=1 lr=1', 'cell=rnn clip_norm=0 lr=1e+30', 'cell=rnn clip_norm=1 lr=1']);
    assert.deepEqual(await columnTexts(page, '#summary', 2), ['2', '2', '0'], 'n: finished seeds, ranked by mean val perplexity');
    for (const cell of await columnTexts(page, '#summary', 4)) assert.match(cell, /^(\d+\.\d{3} ± \d+\.\d{3}|—)$/);
    assert.equal((await page.$$('#differences tbody tr')).length, 3);
    assert.deepEqual(await page.$$eval('#differences thead th', (ths) => ths.map((t) => t.textContent)),
      ['configuration', 'model.cell', 'train.clip_norm', 'train.lr']);
    assert.deepEqual(await columnTexts(page, '#failures', 3), ['diverged', 'diverged']);
    for (const e of await columnTexts(page, '#failures', 4)) assert.match(e, /diverged/);
    // samples: the two finished configurations, seeds side by side, one row per epoch for the prefix
    const samples = await page.$$eval('table.samples', (ts) => ts.map((t) => ({
      heads: [...t.querySelectorAll('thead th')].map((h) => h.textContent),
      rows: [...t.querySelectorAll('tbody tr')].map((r) => [...(r as any).cells].map((c: any) => String(c.textContent))),
    })));
    assert.equal(samples.length, 2);
    for (const s of samples) {
      assert.deepEqual(s.heads, ['epoch', 'prefix', 'seed 0', 'seed 1']);
      assert.deepEqual(s.rows.map((r) => r[0]), ['1', '2', '3']);
      for (const r of s.rows) for (const text of r.slice(2)) assert.match(text!, /^the .{5}$/s);
    }
    // the latest check, its hostile label shown as text
    assert.equal((await page.$$('#check tbody tr')).length, 3);
    assert.deepEqual(await columnTexts(page, '#check', 6), ['pass', 'fail', 'pass']);
    assert.deepEqual(await columnTexts(page, '#check', 4), ['+0.7 %', '+38.0 %', '-4.0 %']);
    assert.equal((await columnTexts(page, '#check', 7))[1], 'worse by more than max(3 %, 3 σ)');
    assert.equal((await columnTexts(page, '#check', 0))[1], HOSTILE);
    assert.equal(await page.evaluate(() => window.__pwned), undefined);

    // every chart drew its configurations in their colours (the diverged one has no curve)
    const finishedColours = colours.slice(0, 2);
    for (const chart of ['#chart-train', '#chart-val', '#chart-tps']) {
      const counts = await colourCounts(page, chart, finishedColours);
      for (const [i, n] of counts.entries()) assert.ok(n > 30, `${chart}: configuration ${i + 1} drew ${n} pixel(s) in ${finishedColours[i]}`);
    }
    assert.equal(await page.getAttribute('#chart-val', 'data-series'), '2');

    // the log-scale toggle redraws the curves on a log axis
    const image = (sel: string): Promise<string> => page.$eval(`${sel} canvas`, (c: any) => String(c.toDataURL()));
    assert.equal(await page.getAttribute('#chart-val', 'data-scale'), 'linear');
    const linear = await image('#chart-val');
    await page.click('#log-scale');
    assert.notEqual(await image('#chart-val'), linear, 'the curves were redrawn');
    assert.equal(await page.getAttribute('#chart-val', 'data-scale'), 'log');
    assert.equal(await page.$$eval('#chart-val canvas', (cs) => cs.length), 1, 'the old chart is replaced, not stacked');
    for (const chart of ['#chart-train', '#chart-val']) {
      for (const n of await colourCounts(page, chart, finishedColours)) assert.ok(n > 30, `${chart} on a log axis drew ${n} pixel(s)`);
    }

    // sorting: by the configuration's name, then by tokens/s both ways (no number last)
    const before = await columnTexts(page, '#summary', 1);
    await page.click('#summary thead th:nth-child(2)');
    const byName = await columnTexts(page, '#summary', 1);
    assert.deepEqual(byName, [...before].sort((a, b) => a.localeCompare(b)));
    assert.notDeepEqual(byName, before, 'clicking the header changed the order');
    const speeds = async (): Promise<number[]> =>
      (await page.$$eval('#summary tbody tr td:nth-child(7)', (tds) => tds.map((td) => td.getAttribute('data-sort') ?? ''))).map((s) => (s === '' ? NaN : Number(s)));
    await page.click('#summary thead th:nth-child(7)');
    const up = await speeds();
    assert.ok(up[0]! < up[1]! && Number.isNaN(up[2]!), `ascending tokens/s: ${up}`);
    await page.click('#summary thead th:nth-child(7)');
    const down = await speeds();
    assert.ok(down[0]! > down[1]! && Number.isNaN(down[2]!), `descending tokens/s: ${down}`);

    const shots = mkdtempSync(join(tmpdir(), 'run-sweep-report-'));
    const shot = join(shots, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    copyFileSync(shot, SCREENSHOT_COPY);

    assert.deepEqual(problems, [], 'no console error or warning');
    assert.deepEqual([...new Set(requests)], [url], 'the only request is the file itself');
  } finally {
    await browser?.close();
  }
});
