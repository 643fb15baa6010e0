// Grid ranges: `{start, stop, step}` and `{log: [lo, hi], num}` written in place of a list of values.
import type { JsonSchema } from './schema.js';

export interface LinearRange {
  start: number;
  stop: number;
  step: number;
}

export interface LogRange {
  log: [number, number];
  num: number;
}

/** A guard against a typo that would make a grid of millions (`step: 0.0001`) and hang the planner. */
export const MAX_RANGE_VALUES = 10_000;

/** The range's values in order, or why it has none. `integer`: round a log range's values to whole numbers, dropping repeats. */
export function expandRange(range: LinearRange | LogRange, integer: boolean): { values: number[] } | { problem: string } {
  return 'log' in range ? expandLog(range, integer) : expandLinear(range);
}

function expandLinear({ start, stop, step }: LinearRange): { values: number[] } | { problem: string } {
  if (!(step > 0)) return { problem: `step must be above 0, got ${step}` };
  if (stop < start) return { problem: `stop ${stop} is below start ${start}: the range is empty` };
  // (stop - start) / step is 3.9999999999999996 for start 0.1, step 0.1, stop 0.5: the tolerance
  // keeps the stop its user meant to reach.
  const ratio = (stop - start) / step;
  const count = Math.floor(ratio + 1e-9 * Math.max(1, ratio)) + 1;
  if (count > MAX_RANGE_VALUES) return { problem: `the range has ${count} values; at most ${MAX_RANGE_VALUES}` };
  // start + i·step drifts (0.1 + 2·0.1 = 0.30000000000000004): round to the decimals written.
  const decimals = Math.max(decimalsOf(start), decimalsOf(step));
  return { values: Array.from({ length: count }, (_, i) => tidy(Number((start + i * step).toFixed(Math.min(decimals, 100))))) };
}

function expandLog({ log: [lo, hi], num }: LogRange, integer: boolean): { values: number[] } | { problem: string } {
  if (!(lo < hi)) return { problem: `log: [${lo}, ${hi}] must go from low to high` };
  if (num > MAX_RANGE_VALUES) return { problem: `the range has ${num} values; at most ${MAX_RANGE_VALUES}` };
  const values = Array.from({ length: num }, (_, i) =>
    // Both ends exactly as written; between them, 12 significant digits (1e-4·1000^(1/3) is 0.0009999999999999998).
    i === 0 ? lo : i === num - 1 ? hi : Number((lo * (hi / lo) ** (i / (num - 1))).toPrecision(12)),
  );
  return { values: integer ? [...new Set(values.map((value) => tidy(Math.round(value))))] : values.map(tidy) };
}

/** Digits after the decimal point of a number as JavaScript writes it: 0.25 → 2, 1e-7 → 7, 64 → 0. */
function decimalsOf(value: number): number {
  const [mantissa = '', exponent = '0'] = String(value).toLowerCase().split('e');
  return Math.max(0, (mantissa.split('.')[1]?.length ?? 0) - Number(exponent));
}

/** -0 is 0: a range through zero must not make a value that prints or compares differently. */
function tidy(value: number): number {
  return value === 0 ? 0 : value;
}

/** Whether a key takes whole numbers only (hidden_size, embedding's size), so a log range rounds. */
export function takesIntegersOnly(schema: JsonSchema): boolean {
  const types = jsonTypes(schema);
  return types.includes('integer') && !types.includes('number');
}

/** Whether a key takes numbers at all: a range for `model.cell` is a mistake to say plainly. */
export function takesNumbers(schema: JsonSchema): boolean {
  return jsonTypes(schema).some((type) => type === 'integer' || type === 'number');
}

function jsonTypes(schema: JsonSchema): string[] {
  const own = schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
  return [...own, ...(schema.oneOf ?? []).flatMap(jsonTypes)];
}
