// --json: every event of a sweep is one line of JSON on stdout, valid against
// schemas/events.schema.json; human text goes to stderr.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import type { SweepEvent, SweepEventType } from '../src/scheduler/events.js';
import { createReporter } from '../src/report/reporter.js';
import { toJsonLine } from '../src/report/json-events.js';
import { GRU, otherEvents, scriptedSweep, T0 } from './support/view-script.js';

const schema = JSON.parse(readFileSync(new URL('../../schemas/events.schema.json', import.meta.url), 'utf8')) as {
  oneOf: { $ref: string }[];
  definitions: Record<string, { properties?: { type?: { const?: string } }; title?: string; description?: string }>;
};
const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const validate = ajv.compile(schema);

function run(events: SweepEvent[]): { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const reporter = createReporter('json', { out: (l) => out.push(l), err: (l) => err.push(l) });
  reporter.out('cell-comparison: 3 trial(s)');
  for (const e of events) reporter.onEvent(e);
  reporter.close();
  reporter.out('the summary');
  return { out, err };
}

const sweep = [...scriptedSweep().map((s) => s.event), ...otherEvents()];

test('--json writes one valid JSON object per event but weights, each valid against the schema', () => {
  const { out, err } = run(sweep);
  const expected = sweep.filter((e) => e.type !== 'weights');
  assert.ok(sweep.some((e) => e.type === 'weights'), 'the script has weights to leave out');
  assert.equal(out.length, expected.length);
  out.forEach((line, i) => {
    assert.ok(!line.includes('\n'), 'one line per event');
    const object = JSON.parse(line) as { type: string };
    assert.equal(object.type, expected[i]!.type);
    assert.ok(validate(object), `${line}\n${ajv.errorsText(validate.errors)}`);
  });
  // human text, and warnings for people, on stderr only
  assert.deepEqual(err.slice(0, 1), ['cell-comparison: 3 trial(s)']);
  assert.ok(err.includes('the summary'));
  assert.ok(err.some((l) => l.startsWith('warning: ') && l.includes('a scripted warning')));
});

test('every event type but weights is in the schema, with a title and a description', () => {
  // a type added to SweepEvent must be added here (the compiler says so) and to the schema (this test does)
  const types: Record<Exclude<SweepEventType, 'weights'>, true> = {
    'sweep-start': true, reaped: true, 'trial-reused': true, 'trial-start': true, setup: true, epoch: true,
    progress: true, sample: true, 'trial-end': true, warning: true, 'sweep-end': true,
  };
  const inSchema = schema.oneOf.map((r) => schema.definitions[r.$ref.replace('#/definitions/', '')]!);
  assert.deepEqual(inSchema.map((d) => d.properties?.type?.const).sort(), Object.keys(types).sort());
  for (const d of inSchema) assert.ok(d.title && d.description && d.description.length > 20, JSON.stringify(d.title));
  assert.ok(validate.schema && /weights/.test(JSON.stringify((validate.schema as { description: string }).description)));
  assert.equal(sweep.filter((e) => e.type !== 'weights').every((e) => e.type in types), true);
  for (const type of Object.keys(types)) assert.ok(sweep.some((e) => e.type === type), `the script has a ${type} event`);
});

test('NaN and Infinity are written as null, and still valid', () => {
  const diverged = sweep.find((e) => e.type === 'epoch' && e.trainPerplexity === Infinity)!;
  const line = toJsonLine(diverged)!;
  const object = JSON.parse(line) as { trainPerplexity: unknown; valPerplexity: unknown; gradNorm: unknown };
  assert.equal(object.trainPerplexity, null);
  assert.equal(object.gradNorm, 0.8);
  assert.ok(validate(object));
  const failed = JSON.parse(toJsonLine(sweep.find((e) => e.type === 'trial-end' && e.status === 'failed')!)!) as { figures: Record<string, unknown> };
  assert.deepEqual(failed.figures, { trainPerplexity: null, valPerplexity: null, tokensPerSecond: null });
  assert.equal(toJsonLine({ type: 'weights', time: T0, trial: GRU, files: [] }), null);
});

test('malformed events fail validation', () => {
  const epoch = JSON.parse(toJsonLine(sweep.find((e) => e.type === 'epoch')!)!) as Record<string, unknown>;
  const bad: [string, unknown][] = [
    ['a missing field', { ...epoch, valPerplexity: undefined }],
    ['a number as a string', { ...epoch, trainPerplexity: '9.1' }],
    ['an unknown field', { ...epoch, loss: 2.2 }],
    ['an unknown type', { ...epoch, type: 'epoch-end' }],
    ['a trial without id', { ...epoch, trial: { label: 'x', varying: {}, epochs: 1 } }],
    ['a fractional epoch', { ...epoch, epoch: 1.5 }],
    ['no time', { ...epoch, time: undefined }],
    ['weights', { type: 'weights', time: T0, trial: GRU, files: [] }],
    ['an unknown failure reason', { ...JSON.parse(toJsonLine(otherEvents().find((e) => e.type === 'trial-end')!)!), reason: 'bored' }],
  ];
  for (const [what, object] of bad) {
    assert.equal(validate(JSON.parse(JSON.stringify(object))), false, `${what} must fail validation`);
  }
  assert.ok(validate(epoch), 'while the event they were made from is valid');
});
