// The live view, watched in a real terminal (tmux: a pseudo-terminal and a screen to read back),
// and the plain view under a pipe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SweepEvent } from '../src/scheduler/events.js';
import { createReporter } from '../src/report/reporter.js';
import { liveFrame, LiveView } from '../src/report/live.js';
import { SweepState } from '../src/report/state.js';
import { textWidth } from '../src/report/format.js';
import { PAUSE_AT, scriptedSweep, T0, trialRef } from './support/view-script.js';

const SCRIPT = fileURLToPath(new URL('./support/view-script.js', import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const ESC = '\u001B';

const TMUX = spawnSync('tmux', ['-V']).status === 0;
const noTmux = TMUX ? false : 'tmux is not installed: the terminal tests need it';

/** A detached tmux session of its own (own server socket), running the view script. */
class Terminal {
  private readonly socket = `run-sweep-view-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  readonly dir = mkdtempSync(join(tmpdir(), 'run-sweep-view-'));

  constructor(columns: number, rows: number) {
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(SCRIPT)} auto ${JSON.stringify(this.dir)}`;
    this.tmux('new-session', '-d', '-s', 'view', '-x', String(columns), '-y', String(rows), command);
    this.tmux('set-option', '-t', 'view', 'remain-on-exit', 'on');
  }

  tmux(...args: string[]): string {
    return execFileSync('tmux', ['-f', '/dev/null', '-L', this.socket, ...args], {
      encoding: 'utf8',
      env: { ...process.env, TERM: 'xterm' },
    });
  }

  /** The visible screen, one string per row, trailing blanks dropped. */
  screen(): string[] {
    return this.tmux('capture-pane', '-p', '-t', 'view').replace(/\n+$/, '').split('\n');
  }

  /** Scrollback and screen, lines the terminal wrapped joined again. */
  history(): string[] {
    return this.tmux('capture-pane', '-p', '-J', '-S', '-', '-t', 'view').replace(/\s+$/, '').split('\n').map((l) => l.trimEnd());
  }

  cursorVisible(): boolean {
    return this.tmux('display-message', '-p', '-t', 'view', '#{cursor_flag}').trim() === '1';
  }

  async waitFor(file: string): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (!existsSync(join(this.dir, file))) {
      if (Date.now() > deadline) throw new Error(`the view script never wrote ${file}:\n${this.history().join('\n')}`);
      await sleep(20);
    }
  }

  signal(file: string): void {
    writeFileSync(join(this.dir, file), '');
  }

  close(): void {
    this.signal('go');
    this.signal('exit');
    try {
      this.tmux('kill-server');
    } catch {
      // already gone
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const OVERALL_AT_PAUSE = '[2/3] 1 finished · 1 failed · 1 running · 0 queued · elapsed 1:10 · ETA 0:54';
const LSTM_AT_PAUSE = '  cell=lstm seed=0  epoch 2/4  batch 10/50  ETA 0:54  train ppl 11.00  val ppl 11.50  12346 tokens/s';
const OVERALL_AT_END = '[3/3] 2 finished · 1 failed · 0 running · 0 queued · elapsed 2:05';

test('in a terminal: an overall line and a line per running trial, redrawn in place under the kept lines', { skip: noTmux }, async () => {
  const term = new Terminal(110, 24);
  try {
    await term.waitFor('paused');
    await sleep(300); // a few redraws at the paused clock
    const screen = term.screen();
    const at = screen.indexOf(OVERALL_AT_PAUSE);
    assert.ok(at > 0, `the overall line:\n${screen.join('\n')}`);
    assert.equal(screen[at + 1], LSTM_AT_PAUSE, 'the running trial, with its epoch, batch and ETA');
    assert.equal(screen.length, at + 2, 'the block is at the bottom');
    assert.equal(term.cursorVisible(), false, 'the cursor is hidden while the block is drawn');

    // what is kept, above the block, in the order it came
    const above = screen.slice(0, at);
    const order = [
      /^cell-comparison: 3 trial\(s\) \[live\]$/,
      /^tracking to \.\/runs \(experiment cell-comparison\): 3 to train on 2 worker\(s\)$/,
      /^\[a1a1a1a1a1 cell=rnn seed=0\] sample after epoch 2: "the whale\\nand the sea"$/,
      /^warning: trial b2b2b2b2b2 \(cell=gru seed=0\): a scripted warning$/,
      /^\[a1a1a1a1a1 cell=rnn seed=0\] finished in 42\.0s \(4\/4 epochs\) .* 1\/3$/,
      /^\[b2b2b2b2b2 cell=gru seed=0\] failed \(diverged\) after 2\/4 epochs: the loss is NaN at epoch 3 {2}2\/3$/,
      /^a message from the CLI, above the block$/,
    ];
    let from = 0;
    for (const pattern of order) {
      const i = above.findIndex((line, j) => j >= from && pattern.test(line));
      assert.ok(i >= 0, `${pattern} after row ${from}:\n${above.join('\n')}`);
      from = i + 1;
    }
    assert.ok(!above.some((l) => /^\[\d\/3\]|^ {2}cell=/.test(l)), 'no earlier frame is left behind');

    term.signal('go');
    await term.waitFor('closed');
    const history = term.history();
    const end = history.indexOf(OVERALL_AT_END);
    assert.ok(end > 0, `the final state stays on screen:\n${history.join('\n')}`);
    assert.deepEqual(history.slice(end + 1), ['', 'SUMMARY would follow here'], 'and what the CLI prints next comes below it');
    assert.equal(history.filter((l) => /^\[\d\/3\]/.test(l)).length, 1, 'one overall line in all the scrollback: every frame was redrawn in place');
    assert.ok(history.some((l) => /^\[c3c3c3c3c3 cell=lstm seed=0\] finished in 82\.0s .* 3\/3$/.test(l)));
    assert.equal(term.cursorVisible(), true, 'close() shows the cursor again');
  } finally {
    term.close();
  }
});

test('in a narrow terminal, and one resized, the block stays one line per row and is never left behind', { skip: noTmux }, async () => {
  const term = new Terminal(40, 12);
  try {
    await term.waitFor('paused');
    await sleep(300);
    const check = (columns: number): void => {
      const history = term.history();
      const overall = history.filter((l) => l.startsWith('[2/3] '));
      assert.equal(overall.length, 1, `one overall line at ${columns} columns:\n${history.join('\n')}`);
      const at = history.indexOf(overall[0]!);
      assert.ok(overall[0]!.endsWith('…') && textWidth(overall[0]!) < columns, overall[0]);
      assert.match(history[at + 1]!, /^ {2}cell=lstm seed=0 .*…$/, 'the trial line, cut, not wrapped');
      assert.equal(history.slice(at + 2).join(''), '', 'nothing below it');
    };
    check(40);
    term.tmux('resize-window', '-t', 'view', '-x', '28');
    await sleep(300);
    check(28);
    term.tmux('resize-window', '-t', 'view', '-x', '90');
    await sleep(300);
    const screen = term.screen();
    assert.equal(screen.filter((l) => l.startsWith('[2/3] ')).length, 1, screen.join('\n'));
    assert.ok(screen.includes(OVERALL_AT_PAUSE), `wider again, the whole line shows:\n${screen.join('\n')}`);
    term.signal('go');
    await term.waitFor('closed');
    assert.ok(term.history().includes(OVERALL_AT_END));
  } finally {
    term.close();
  }
});

test('under a pipe the view is plain: one line per event, counters, no escape sequences', async () => {
  const child = spawn(process.execPath, [SCRIPT, 'auto'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, VIEW_STEP_MS: '1' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 0, stderr);
  assert.ok(!stdout.includes(ESC) && !stderr.includes(ESC), JSON.stringify(stdout + stderr));
  const lines = stdout.trimEnd().split('\n');
  assert.equal(lines[0], 'cell-comparison: 3 trial(s) [plain]');
  for (const expected of [
    '[a1a1a1a1a1 cell=rnn seed=0] started',
    '[a1a1a1a1a1 cell=rnn seed=0] epoch 2/4  train ppl 9.00  val ppl 9.50  12346 tokens/s  10.0s',
    '[c3c3c3c3c3 cell=lstm seed=0] epoch 2/4  batch 10/50  train ppl 10.50 so far',
    '[b2b2b2b2b2 cell=gru seed=0] epoch 2/4  train ppl -  val ppl -  12346 tokens/s  30.0s',
    '[a1a1a1a1a1 cell=rnn seed=0] finished in 42.0s (4/4 epochs)  train ppl 7.25  val ppl 7.75  12000 tokens/s  1/3',
    '[b2b2b2b2b2 cell=gru seed=0] failed (diverged) after 2/4 epochs: the loss is NaN at epoch 3  2/3',
    '[c3c3c3c3c3 cell=lstm seed=0] finished in 82.0s (4/4 epochs)  train ppl 7.50  val ppl 8.00  11000 tokens/s  3/3',
    'sweep done in 2:05: 2 finished, 1 failed',
  ]) {
    assert.ok(lines.includes(expected), `${expected}\nin:\n${stdout}`);
  }
  assert.equal(stderr, 'warning: trial b2b2b2b2b2 (cell=gru seed=0): a scripted warning\n');
});

function stateAtPause(): SweepState {
  const state = new SweepState();
  for (const step of scriptedSweep()) if (step.at <= PAUSE_AT) state.apply(step.event);
  return state;
}

test('every line of the block fits the terminal, and the block its height', () => {
  const state = stateAtPause();
  const now = T0 + PAUSE_AT * 1000;
  for (let columns = 2; columns <= 140; columns++) {
    for (const line of liveFrame(state, now, columns, 24)) assert.ok(textWidth(line) <= columns - 1, `${columns}: ${line}`);
  }
  assert.deepEqual(liveFrame(state, now, 200, 24), [OVERALL_AT_PAUSE, LSTM_AT_PAUSE]);

  const many = new SweepState();
  const trials = Array.from({ length: 12 }, (_, i) => trialRef(`c${i}`, String(i).padStart(10, '0')));
  many.apply({ type: 'sweep-start', time: T0, experiment: 'e', location: './runs', trials: 12, toTrain: 12, reused: 0, workers: 12 });
  for (const trial of trials) many.apply({ type: 'trial-start', time: T0, trial, attempt: 1 });
  const frame = liveFrame(many, T0, 80, 8);
  assert.equal(frame.length, 6, frame.join('\n'));
  assert.match(frame[0]!, /^\[0\/12\] 0 finished · 0 failed · 12 running · 0 queued · elapsed 0:00 · ETA …$/);
  assert.match(frame[1]!, /^ {2}cell=c0 seed=0 {2}setting up {2}ETA …$/, 'before any calibration the ETA is unknown');
  assert.equal(frame[5], '  … and 8 more running');
});

test('events come as fast as they like: the block is redrawn at most ten times a second', async () => {
  const writes: string[] = [];
  const stream = { columns: 80, rows: 24, write: (chunk: string) => writes.push(chunk) };
  const view = new LiveView(stream, { out: (l) => writes.push(`${l}\n`), err: () => {} }, { now: () => Date.now() });
  const trial = trialRef('lstm', 'c3c3c3c3c3');
  const t0 = Date.now();
  view.onEvent({ type: 'sweep-start', time: t0, experiment: 'e', location: './runs', trials: 1, toTrain: 1, reused: 0, workers: 1 });
  view.onEvent({ type: 'trial-start', time: t0, trial, attempt: 1 });
  let batch = 0;
  while (Date.now() - t0 < 600) {
    const e: SweepEvent = { type: 'progress', time: Date.now(), trial, epoch: 1, batch: ++batch, batches: 1_000_000, trainPerplexity: 9 };
    view.onEvent(e);
    await sleep(1);
  }
  view.close();
  const elapsed = Date.now() - t0;
  // log-update writes each frame at once (the whole block, or the lines that changed), and the
  // trial's line changes in every frame
  const frames = writes.filter((w) => w.includes('cell=lstm'));
  assert.ok(batch > 3 * frames.length, `${batch} events, ${frames.length} frames`);
  assert.ok(frames.length >= 2 && frames.length <= elapsed / 100 + 2, `${frames.length} frames for ${batch} events in ${elapsed} ms`);
  assert.ok(frames.at(-1)!.includes(`batch ${batch}/1000000`), 'the last frame shows the last event');
});

test('quiet prints nothing but warnings; plain prints the rest to stdout and warnings to stderr', () => {
  const run = (mode: 'quiet' | 'plain'): { out: string[]; err: string[] } => {
    const out: string[] = [];
    const err: string[] = [];
    const reporter = createReporter(mode, { out: (l) => out.push(l), err: (l) => err.push(l) });
    for (const step of scriptedSweep()) reporter.onEvent(step.event);
    reporter.close();
    return { out, err };
  };
  const quiet = run('quiet');
  assert.deepEqual(quiet.out, []);
  assert.deepEqual(quiet.err, ['warning: trial b2b2b2b2b2 (cell=gru seed=0): a scripted warning']);
  const plain = run('plain');
  assert.deepEqual(plain.err, quiet.err);
  assert.equal(plain.out.length, scriptedSweep().filter((s) => s.event.type !== 'weights' && s.event.type !== 'warning').length);
});
