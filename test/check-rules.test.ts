// The check's rule, exactly as documented: fail when the mean over seeds is worse by more than
// max(tolerance × baseline mean, sigmas × σ), σ the baseline's sample std over seeds (0 for one seed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CheckConfig } from '../src/config/types.js';
import type { BaselineConfiguration } from '../src/check/baseline.js';
import { compareConfigurations } from '../src/check/compare.js';
import { junitVerdicts, markdownVerdicts } from '../src/check/outputs.js';
import { xmlProblem } from './support/check-run.js';

const rules: CheckConfig = {
  metrics: {
    val_perplexity: { max_increase: 0.03, sigmas: 3 },
    train_perplexity: { max_increase: null, sigmas: 3 },
    tokens_per_second: { max_decrease: 0.5, sigmas: 0 },
  },
};

function config(label: string, vals: number[], speeds = vals.map(() => 1000)): BaselineConfiguration {
  return {
    label,
    config: {} as BaselineConfiguration['config'],
    seeds: Object.fromEntries(vals.map((v, i) => [String(i), { val_perplexity: v, train_perplexity: v, tokens_per_second: speeds[i]! }])),
  };
}

const opts = { allowMissing: false, allowNew: false };

test('the allowance is the larger of the relative tolerance and sigmas × the baseline seeds\' sample std', () => {
  // baseline 10 and 12: mean 11, σ = √2 ≈ 1.414, 3σ = 4.24 → 38.6 % of 11, wider than 3 %
  const base = { a: config('cell=a', [10, 12]) };
  const within = compareConfigurations(base, { a: config('cell=a', [15, 15]) }, rules, opts).find((v) => v.metric === 'val_perplexity')!;
  assert.equal(within.verdict, 'pass');
  assert.ok(Math.abs(within.allowed! - (3 * Math.SQRT2) / 11) < 1e-12);
  assert.ok(Math.abs(within.change! - 4 / 11) < 1e-12);
  const beyond = compareConfigurations(base, { a: config('cell=a', [15.3, 15.3]) }, rules, opts).find((v) => v.metric === 'val_perplexity')!;
  assert.equal(beyond.verdict, 'fail');
  // an improvement never fails, however large
  assert.equal(compareConfigurations(base, { a: config('cell=a', [1, 1]) }, rules, opts)[0]!.verdict, 'pass');
});

test('with one baseline seed σ is 0: only the relative tolerance applies, and the row says so', () => {
  const base = { a: config('cell=a', [10]) };
  const v = compareConfigurations(base, { a: config('cell=a', [10.31]) }, rules, opts).find((x) => x.metric === 'val_perplexity')!;
  assert.equal(v.allowed, 0.03);
  assert.equal(v.verdict, 'fail');
  assert.match(v.note ?? '', /one baseline seed: σ = 0, only the relative tolerance applies/);
  assert.equal(compareConfigurations(base, { a: config('cell=a', [10.29]) }, rules, opts)[0]!.verdict, 'pass');
});

test('speed fails on a fall, not a rise; a null tolerance compares nothing', () => {
  const base = { a: config('cell=a', [10, 10], [1000, 1000]) };
  const slower = compareConfigurations(base, { a: config('cell=a', [10, 10], [400, 400]) }, rules, opts);
  assert.deepEqual(slower.map((v) => `${v.metric}:${v.verdict}`), ['val_perplexity:pass', 'tokens_per_second:fail']);
  const faster = compareConfigurations(base, { a: config('cell=a', [10, 10], [5000, 5000]) }, rules, opts);
  assert.ok(faster.every((v) => v.verdict === 'pass'));
});

test('JUnit escapes what labels may hold and stays well-formed; Markdown escapes pipes', () => {
  const odd = 'corpus=<a&b> "q" \'s\' x|y';
  const verdicts = compareConfigurations({ a: config(odd, [10, 10]) }, { a: config(odd, [20, 20]), b: config('new', [1]) }, rules, opts);
  const junit = junitVerdicts(verdicts, 'suite<&>');
  assert.equal(xmlProblem(junit), undefined, junit);
  assert.match(junit, /<testsuites name="run-sweep check" tests="3" failures="2">/);
  assert.equal(xmlProblem('<a><b></a>'), '</a> closes nothing open', 'the checker itself catches bad nesting');
  assert.equal(xmlProblem('<a x="1 < 2"/>'), 'malformed tag at: <a x="1 < 2"/>');
  assert.equal(xmlProblem('<a>&bogus;</a>'), 'bad character data: &bogus;');
  const md = markdownVerdicts(verdicts, 't', 'b.json');
  assert.ok(md.split('\n').filter((l) => l.startsWith('| corpus')).every((l) => l.includes('x\\|y')));
});
