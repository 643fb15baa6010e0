// Durations in a config (sweep.trial_timeout, tracking.upload_timeout): a plain number is seconds,
// as YAML users write `timeout: 90`; a string carries its unit, as they write `timeout: 30m`.
// The schema's duration pattern must equal DURATION_PATTERN; test/config-duration.test.ts checks it.

/** A number with a unit. No compound forms ("1h30m"): "90m" says the same, and one unit reads at a glance. */
export const DURATION_PATTERN = /^[0-9]+(\.[0-9]+)?(ms|s|m|h)$/;

/** The accepted forms, in words, for messages. */
export const DURATION_FORMS = 'seconds as a number (90), or a number with a unit: "500ms", "45s", "30m", "2h"';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds in `value`: a number of seconds, or a string such as "90s", "2m". Throws a RangeError naming the accepted forms. */
export function parseDuration(value: number | string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value * 1000;
  } else {
    const unit = DURATION_PATTERN.exec(value)?.[2];
    if (unit !== undefined) return Number(value.slice(0, -unit.length)) * (UNIT_MS[unit] as number);
  }
  throw new RangeError(`${JSON.stringify(value)} is not a duration: expected ${DURATION_FORMS}`);
}
