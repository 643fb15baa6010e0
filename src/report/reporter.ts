// What a sweep shows while it runs, in one of four modes, behind one interface. The CLI creates one
// reporter per sweep, feeds it every SweepEvent, sends its own messages through it while the sweep
// runs (so that they land above the live block, or on stderr in --json mode), and closes it before
// printing the summary.
//
//   --json        → 'json'  NDJSON events on stdout (schemas/events.schema.json), human text on stderr
//   --quiet       → 'quiet' nothing during the sweep but warnings (stderr)
//   stdout a TTY  → 'live'  a redrawn block: overall line and one line per running trial
//   otherwise     → 'plain' one line per event worth reading (logs, CI)
import type { SweepEvent } from '../scheduler/events.js';
import { formatSweepEvent } from './console.js';
import { toJsonLine } from './json-events.js';
import { LiveView, type LiveStream } from './live.js';
import { SweepState, type TrialSize } from './state.js';

export type ReporterMode = 'live' | 'plain' | 'quiet' | 'json';

export interface ReporterIo {
  /** a line to stdout (the CLI's Io.out); in 'live' mode it must write to `stdout` */
  out(line: string): void;
  /** a line to stderr (the CLI's Io.err) */
  err(line: string): void;
  /** the terminal the live view draws on (process.stdout); required in 'live' mode, unused otherwise */
  stdout?: LiveStream;
  /** the same, as the CLI's Io names it (set only when stdout is a terminal); `stdout` wins */
  tty?: LiveStream;
  /** the width to assume when `stdout` does not say; 80 by default */
  columns?: number;
}

export interface ReporterOptions {
  /** the clock, ms since the epoch, as the events' `time`; Date.now by default (tests pass a fake one) */
  now?: () => number;
  /** live mode: the least time between two redraws, 100 ms by default */
  redrawMs?: number;
  /**
   * Trial id → size, known before trials start (the CLI's preflight sizing map fits as it is): the
   * live ETA then costs queued trials by their own size rather than as typical ones.
   */
  sizes?: ReadonlyMap<string, TrialSize>;
}

export interface Reporter {
  readonly mode: ReporterMode;
  /** Every SweepEvent of the sweep, in order. */
  onEvent(event: SweepEvent): void;
  /**
   * The CLI's own human text during the sweep (its header, Ctrl-C notice): printed above the live
   * block in 'live' mode, sent to stderr in 'json' mode (stdout holds only JSON there), to stdout
   * otherwise. Use it for the summary too, after close(), so that --json keeps stdout pure.
   */
  out(line: string): void;
  /** Human text for stderr (warnings, errors), above the live block in 'live' mode. */
  err(line: string): void;
  /** Ends the view: live mode draws its final state, leaves it on screen and shows the cursor. Idempotent. */
  close(): void;
}

/** The mode the CLI's flags and its stdout call for. */
export function chooseReporterMode(
  flags: { json?: boolean; quiet?: boolean },
  stdout: { isTTY?: boolean },
  env: NodeJS.ProcessEnv = {},
): ReporterMode {
  if (flags.json) return 'json';
  if (flags.quiet) return 'quiet';
  if (stdout.isTTY === true && env.TERM !== 'dumb') return 'live';
  return 'plain';
}

export function createReporter(mode: ReporterMode, io: ReporterIo, opts: ReporterOptions = {}): Reporter {
  switch (mode) {
    case 'live':
      return liveReporter(io, opts);
    case 'plain':
      return plainReporter(io);
    case 'quiet':
      return quietReporter(io);
    case 'json':
      return jsonReporter(io);
  }
}

function plainReporter(io: ReporterIo): Reporter {
  const state = new SweepState();
  return {
    mode: 'plain',
    onEvent(event) {
      state.apply(event);
      const line = formatSweepEvent(event, state);
      if (line) (line.stream === 'err' ? io.err : io.out)(line.text);
    },
    out: (line) => io.out(line),
    err: (line) => io.err(line),
    close() {},
  };
}

function quietReporter(io: ReporterIo): Reporter {
  const state = new SweepState();
  return {
    mode: 'quiet',
    onEvent(event) {
      state.apply(event);
      if (event.type !== 'warning') return;
      const line = formatSweepEvent(event, state);
      if (line) io.err(line.text);
    },
    out: (line) => io.out(line),
    err: (line) => io.err(line),
    close() {},
  };
}

function jsonReporter(io: ReporterIo): Reporter {
  const state = new SweepState();
  return {
    mode: 'json',
    onEvent(event) {
      state.apply(event);
      const json = toJsonLine(event);
      if (json !== null) io.out(json);
      // a person watching `run-sweep --json | jq` still sees warnings, on stderr
      if (event.type === 'warning') {
        const line = formatSweepEvent(event, state);
        if (line) io.err(line.text);
      }
    },
    out: (line) => io.err(line),
    err: (line) => io.err(line),
    close() {},
  };
}

function liveReporter(io: ReporterIo, opts: ReporterOptions): Reporter {
  const stream = io.stdout ?? io.tty;
  if (!stream) throw new Error("createReporter('live') needs io.stdout (or io.tty), the terminal to draw on");
  const view = new LiveView(stream, { out: io.out, err: io.err }, { now: opts.now, redrawMs: opts.redrawMs, columns: io.columns, sizes: opts.sizes });
  return {
    mode: 'live',
    onEvent: (event) => view.onEvent(event),
    out: (line) => view.keep({ stream: 'out', text: line }),
    err: (line) => view.keep({ stream: 'err', text: line }),
    close: () => view.close(),
  };
}
