// The live view, for a terminal: a block at the bottom that is redrawn in place (log-update), made
// of an overall line and one line per running trial, while the lines worth keeping — trial ends,
// samples, warnings, reuse, and whatever the CLI prints through the reporter — are printed above
// it, into the scrollback, as they come.
import { createLogUpdate } from 'log-update';
import type { SweepEvent } from '../scheduler/events.js';
import { type ConsoleLine, formatSweepEvent } from './console.js';
import { sweepRemaining, trialRemaining } from './eta.js';
import { formatDuration, formatNumber, formatRate, oneLine, textWidth, truncate } from './format.js';
import { SweepState, type TrialSize, type TrialView } from './state.js';

/** The terminal the live view draws on: process.stdout, or a stand-in in tests. */
export interface LiveStream {
  write(chunk: string): unknown;
  columns?: number;
  rows?: number;
  isTTY?: boolean;
  on?(event: 'resize', listener: () => void): unknown;
  off?(event: 'resize', listener: () => void): unknown;
}

export interface LiveOptions {
  /** the clock, ms since the epoch (events' `time` is on the same clock); Date.now by default */
  now?: () => number;
  /** the least time between two redraws; 100 ms (10 per second) by default */
  redrawMs?: number;
  /** width when the stream does not say (not a terminal); 80 by default */
  columns?: number;
  /** trial sizes known before they start, for the ETA of queued trials */
  sizes?: ReadonlyMap<string, TrialSize>;
}

/** Events whose plain line the live view keeps above its block. */
const KEPT: ReadonlySet<SweepEvent['type']> = new Set(['sweep-start', 'reaped', 'trial-reused', 'sample', 'trial-end', 'warning']);

/** The block's lines: the overall line, then one per running trial, cut to the terminal's size. */
export function liveFrame(state: SweepState, now: number, columns: number, rows: number): string[] {
  // one column short of the edge: a line exactly as wide as the terminal wraps on some of them
  const width = Math.max(1, columns - 1);
  const endedAt = state.end?.time;
  const clock = endedAt ?? now;
  const c = state.counts;
  const running = state.running;
  const parts = [`${c.finished} finished`, `${c.failed} failed`];
  if (c.killed > 0) parts.push(`${c.killed} killed`);
  if (c.reused > 0) parts.push(`${c.reused} reused`);
  parts.push(`${running.length} running`, `${state.queued} queued`);
  const elapsed = state.startedAt !== undefined ? formatDuration((clock - state.startedAt) / 1000) : formatDuration(0);
  const left = sweepRemaining(state, clock);
  const tail = endedAt !== undefined || (running.length === 0 && state.queued === 0 && state.start) ? '' : ` · ETA ${formatDuration(left)}`;
  const overall = `[${state.counter}] ${parts.join(' · ')} · elapsed ${elapsed}${tail}`;

  // leave the line the cursor sits on, and one more, free: log-update cuts taller frames from the top
  const room = Math.max(1, rows - 2);
  let shown = running;
  let more = 0;
  if (1 + running.length > room) {
    shown = running.slice(0, Math.max(0, room - 2));
    more = running.length - shown.length;
  }
  const lines = [overall, ...shown.map((t) => `  ${trialLine(state, t, clock)}`)];
  if (more > 0) lines.push(`  … and ${more} more running`);
  return lines.map((l) => truncate(oneLine(l), width));
}

function trialLine(state: SweepState, t: TrialView, now: number): string {
  const epochs = t.ref.epochs;
  const parts = [t.ref.label];
  if (t.setupTime === undefined && t.epochsDone === 0 && !t.progress) parts.push('setting up');
  else if (t.epochsDone >= epochs) parts.push(`epoch ${epochs}/${epochs} done, finishing`);
  else {
    parts.push(`epoch ${t.epochsDone + 1}/${epochs}`);
    const p = t.progress;
    if (p && p.epoch === t.epochsDone + 1) parts.push(`batch ${p.batch}/${p.batches}`);
  }
  parts.push(`ETA ${formatDuration(trialRemaining(state, t, now))}`);
  if (t.lastEpoch) {
    parts.push(`train ppl ${formatNumber(t.lastEpoch.trainPerplexity)}`, `val ppl ${formatNumber(t.lastEpoch.valPerplexity)}`);
    parts.push(`${formatRate(t.lastEpoch.tokensPerSecond)} tokens/s`);
  } else if (t.progress) {
    parts.push(`train ppl ${formatNumber(t.progress.trainPerplexity)} so far`);
  }
  if (t.attempt > 1) parts.push(`attempt ${t.attempt}`);
  return parts.join('  ');
}

export class LiveView {
  readonly state: SweepState;
  private log: ReturnType<typeof createLogUpdate>;
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout;
  private readonly pending: ConsoleLine[] = [];
  private lastFrame = '';
  private lastColumns = -1;
  private closed = false;
  private readonly onResize = (): void => this.resized();

  /**
   * `print` writes the kept lines: `out` must write to `stream` (the CLI's Io.out, which removes
   * credentials from what it prints, does), `err` to stderr.
   */
  constructor(
    private readonly stream: LiveStream,
    private readonly print: { out: (line: string) => void; err: (line: string) => void },
    private readonly opts: LiveOptions = {},
  ) {
    this.state = new SweepState(opts.sizes);
    this.now = opts.now ?? Date.now;
    this.log = this.newLog();
    this.timer = setInterval(() => this.draw(), opts.redrawMs ?? 100);
    this.timer.unref();
    stream.on?.('resize', this.onResize);
  }

  onEvent(event: SweepEvent): void {
    if (this.closed) return;
    this.state.apply(event);
    if (KEPT.has(event.type)) {
      const line = formatSweepEvent(event, this.state);
      if (line) this.pending.push(line);
    }
    // drawn at the next tick: at most one redraw per redrawMs however fast events come
  }

  /** Text printed above the block, now (the CLI's own messages while the view is up). */
  keep(line: ConsoleLine): void {
    if (this.closed) return this.print[line.stream](line.text);
    this.pending.push(line);
    this.draw();
  }

  /** Draws the last frame, leaves it on the screen and shows the cursor again. Idempotent. */
  close(): void {
    if (this.closed) return;
    clearInterval(this.timer);
    this.stream.off?.('resize', this.onResize);
    this.draw();
    this.closed = true;
    this.log.done();
  }

  private newLog(): ReturnType<typeof createLogUpdate> {
    return createLogUpdate(this.stream as NodeJS.WritableStream, { defaultWidth: this.opts.columns ?? 80 });
  }

  /**
   * A narrower terminal: most terminals (VTE, iTerm2, kitty, Windows Terminal, tmux) re-wrap the
   * lines already drawn, so the block now takes more rows than log-update knows of, and erasing its
   * own count would leave pieces of it behind. Erase the rows it takes once re-wrapped, then draw
   * anew. (A terminal that cuts lines instead, as xterm does, loses a few rows above the block.)
   */
  private resized(): void {
    if (this.closed) return;
    const columns = this.columns();
    if (this.lastFrame !== '' && columns < this.lastColumns) {
      const rows = this.lastFrame.split('\n').reduce((n, line) => n + Math.max(1, Math.ceil(textWidth(line) / columns)), 0);
      this.stream.write(`\u001B[${rows}A\r\u001B[J`);
      this.log = this.newLog();
    }
    this.lastFrame = '';
    this.draw();
  }

  private columns(): number {
    return this.stream.columns ?? this.opts.columns ?? 80;
  }

  private draw(): void {
    if (this.closed) return;
    if (this.pending.length > 0) {
      // erase the block, print what is kept, then draw the block anew below it
      this.log.clear();
      for (const line of this.pending.splice(0)) this.print[line.stream](line.text);
      this.lastFrame = '';
    }
    if (this.state.startedAt === undefined) return; // nothing to show before the first event
    const columns = this.columns();
    const frame = liveFrame(this.state, this.now(), columns, this.stream.rows ?? 24).join('\n');
    if (frame === this.lastFrame && columns === this.lastColumns) return;
    this.lastFrame = frame;
    this.lastColumns = columns;
    this.log(frame);
  }
}
