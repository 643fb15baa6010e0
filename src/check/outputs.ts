// What a check prints and writes: the verdict table for the console, a Markdown copy for a
// pull-request comment, and JUnit XML for CI test reports.
import { formatTable } from '../report/table.js';
import type { Verdict } from './compare.js';

function num(value: number | null, metric: string): string {
  if (value === null || !Number.isFinite(value)) return '-';
  return metric === 'tokens_per_second' ? Math.round(value).toString() : value.toFixed(3);
}

function pct(value: number | null, sign = true): string {
  if (value === null) return '-';
  if (!Number.isFinite(value)) return value > 0 ? '+∞' : '-∞';
  return `${sign && value >= 0 ? '+' : ''}${(value * 100).toFixed(2)}%`;
}

/** The allowed change, signed in the worse direction: +3.00% for perplexity, -50.00% for speed. */
function allowedText(v: Verdict): string {
  if (v.allowed === null) return '-';
  return `${v.metric === 'tokens_per_second' ? '-' : '+'}${pct(v.allowed, false)}`;
}

function withN(value: number | null, n: number | undefined, metric: string): string {
  return `${num(value, metric)}${n !== undefined && value !== null ? ` (n=${n})` : ''}`;
}

const HEADER = ['configuration', 'metric', 'baseline', 'now', 'change', 'allowed', 'verdict'];

function rowsOf(verdicts: readonly Verdict[]): string[][] {
  return verdicts.map((v) => [
    `${v.label} [${v.configId}]`,
    v.metric,
    withN(v.baseline, v.baselineN, v.metric),
    withN(v.now, v.nowN, v.metric),
    pct(v.change),
    allowedText(v),
    (v.verdict === 'pass' ? 'pass' : 'FAIL') + (v.note ? ` (${v.note})` : ''),
  ]);
}

export function formatVerdicts(verdicts: readonly Verdict[]): string {
  return formatTable(HEADER, rowsOf(verdicts), [false, false, true, true, true, true, false]);
}

export function verdictLine(verdicts: readonly Verdict[]): string {
  const failed = verdicts.filter((v) => v.verdict === 'fail').length;
  return failed === 0 ? `check passed: ${verdicts.length} comparison(s)` : `check failed: ${failed} of ${verdicts.length} comparison(s) regressed or are missing`;
}

function mdCell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

/** The table as GitHub/GitLab Markdown, under a one-line verdict. */
export function markdownVerdicts(verdicts: readonly Verdict[], title: string, baseline: string): string {
  const rows = rowsOf(verdicts).map((r, i) => {
    const mark = verdicts[i]!.verdict === 'pass' ? '✅' : '❌';
    return `| ${r.slice(0, -1).map(mdCell).join(' | ')} | ${mark} ${mdCell(r[r.length - 1]!)} |`;
  });
  return [
    `### run-sweep check: ${mdCell(title)}`,
    '',
    `${verdictLine(verdicts)} (baseline: \`${baseline}\`)`,
    '',
    `| ${HEADER.join(' | ')} |`,
    `|${HEADER.map((_h, i) => (i >= 2 && i <= 5 ? '---:' : '---')).join('|')}|`,
    ...rows,
    '',
  ].join('\n');
}

function xml(text: string): string {
  return text
    .replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&apos;')
    // XML 1.0 admits no control characters but tab, newline and carriage return.
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}

/** JUnit XML: one test case per configuration and metric (or per missing/new configuration), the numbers in each failure's message. */
export function junitVerdicts(verdicts: readonly Verdict[], suite: string): string {
  const failures = verdicts.filter((v) => v.verdict === 'fail').length;
  const cases = verdicts.map((v) => {
    const name = `${v.label} [${v.configId}] ${v.metric}`;
    const numbers = v.metric === 'configuration'
      ? v.note ?? ''
      : `baseline ${withN(v.baseline, v.baselineN, v.metric)}, now ${withN(v.now, v.nowN, v.metric)}, change ${pct(v.change)}, allowed ${allowedText(v)}${v.note ? ` (${v.note})` : ''}`;
    const open = `    <testcase classname="${xml(`${suite}.${v.label}`)}" name="${xml(name)}" time="0"`;
    if (v.verdict === 'pass') return `${open}>\n      <system-out>${xml(numbers)}</system-out>\n    </testcase>`;
    return `${open}>\n      <failure message="${xml(numbers)}" type="regression">${xml(numbers)}</failure>\n    </testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="run-sweep check" tests="${verdicts.length}" failures="${failures}">`,
    `  <testsuite name="${xml(suite)}" tests="${verdicts.length}" failures="${failures}" errors="0" skipped="0">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
