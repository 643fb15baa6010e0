// The --json view: newline-delimited JSON on stdout, one object per SweepEvent, each valid against
// schemas/events.schema.json. The object is the event itself; 'weights' events are left out (their
// bytes are in the tracking store, under the trial run's model/ artifacts).
import type { SweepEvent } from '../scheduler/events.js';

/** The event types --json writes: every type but 'weights'. */
export function isJsonEvent(event: SweepEvent): event is Exclude<SweepEvent, { type: 'weights' }> {
  return event.type !== 'weights';
}

/**
 * One line of NDJSON for an event, or null for 'weights'. NaN and ±Infinity (no validation split,
 * a diverged trial) become null, as JSON.stringify writes them, so every line is valid JSON;
 * fields that are undefined are left out; no line holds a raw line break.
 */
export function toJsonLine(event: SweepEvent): string | null {
  if (!isJsonEvent(event)) return null;
  return JSON.stringify(event, (_key, value: unknown) => {
    if (typeof value === 'number' && !Number.isFinite(value)) return null;
    if (typeof value === 'bigint') return value.toString();
    if (value instanceof Uint8Array) return undefined;
    return value;
  });
}
