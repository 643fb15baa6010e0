// The plain view: one line per event worth a person's attention, for logs and pipes (CI). The live
// view prints the same lines for the events it keeps in the scrollback (trial ends, samples,
// warnings), so both read alike.
import type { SweepEvent } from '../scheduler/events.js';
import { firstLine, formatDuration, formatNumber, formatRate, trialTag } from './format.js';
import { type SweepState, unhandled } from './state.js';

export interface ConsoleLine {
  /** warnings go to stderr, everything else to stdout */
  stream: 'out' | 'err';
  text: string;
}

const count = (n: number): string => n.toLocaleString('en-US');

/**
 * The plain line for an event, or null for the one that gets none (weights: binary, in the store).
 * `state` must already have applied `event`: the "3/6" counter in trial-end (and trial-reused)
 * lines counts the trial that just ended.
 */
export function formatSweepEvent(event: SweepEvent, state: SweepState): ConsoleLine | null {
  const out = (text: string): ConsoleLine => ({ stream: 'out', text });
  switch (event.type) {
    case 'sweep-start': {
      const parts = [`${count(event.toTrain)} to train on ${count(event.workers)} worker(s)`];
      if (event.reused > 0) parts.push(`${count(event.reused)} reused`);
      return out(`tracking to ${event.location} (experiment ${event.experiment}): ${parts.join(', ')}`);
    }
    case 'reaped':
      return out(`marked ${event.count} run(s) left RUNNING by an interrupted sweep as KILLED; their trials run again`);
    case 'trial-reused':
      return out(
        `${trialTag(event.trial)} reused: a finished run exists (--rerun trains it again)` +
          `  train ppl ${formatNumber(event.figures.trainPerplexity)}  val ppl ${formatNumber(event.figures.valPerplexity)}` +
          (event.degenerate ? '  (degenerate: most of its tokens are <unk>, its perplexity means little)' : '') +
          `  ${state.counter}`,
      );
    case 'trial-start':
      return out(`${trialTag(event.trial)} started` + (event.attempt > 1 ? ` (attempt ${event.attempt})` : ''));
    case 'setup':
      return out(
        `${trialTag(event.trial)} ${count(event.paramCount)} parameters, vocabulary ${count(event.vocabSize)},` +
          ` ${count(event.trainTokens)} training and ${count(event.valTokens)} validation tokens` +
          (event.unknownShare > 0 ? ` (${(100 * event.unknownShare).toFixed(1)}% <unk>)` : '') +
          `, backend ${event.backend}, kernels ${event.kernels}`,
      );
    case 'epoch':
      return out(
        `${trialTag(event.trial)} epoch ${event.epoch}/${event.trial.epochs}` +
          `  train ppl ${formatNumber(event.trainPerplexity)}  val ppl ${formatNumber(event.valPerplexity)}` +
          `  ${formatRate(event.tokensPerSecond)} tokens/s  ${formatNumber(event.seconds, 1)}s`,
      );
    case 'progress':
      return out(
        `${trialTag(event.trial)} epoch ${event.epoch}/${event.trial.epochs}` +
          `  batch ${event.batch}/${event.batches}  train ppl ${formatNumber(event.trainPerplexity)} so far`,
      );
    case 'sample':
      // JSON quoting shows where the text starts and ends and keeps line breaks on one line
      return out(`${trialTag(event.trial)} sample after epoch ${event.epoch}: ${JSON.stringify(event.text)}`);
    case 'weights':
      return null;
    case 'trial-end': {
      const tag = trialTag(event.trial);
      const attempt = event.attempt > 1 ? ` (attempt ${event.attempt})` : '';
      const why = event.reason ? ` (${event.reason})` : '';
      const error = event.error ? `: ${firstLine(event.error)}` : '';
      if (event.willRetry) return out(`${tag} failed${why}${attempt}${error}; it will be retried`);
      const counter = `  ${state.counter}`;
      // epochsDone says 0 for a failed or killed trial; the epochs seen say how far it got
      const done = Math.max(event.epochsDone, state.trials.get(event.trial.id)?.epochsDone ?? 0);
      const epochs = `${done}/${event.trial.epochs} epochs`;
      switch (event.status) {
        case 'finished':
          return out(
            `${tag} finished${attempt} in ${formatNumber(event.wallSeconds, 1)}s (${epochs})` +
              `  train ppl ${formatNumber(event.figures.trainPerplexity)}  val ppl ${formatNumber(event.figures.valPerplexity)}` +
              `  ${formatRate(event.figures.tokensPerSecond)} tokens/s${counter}`,
          );
        case 'failed':
          return out(`${tag} failed${why}${attempt} after ${epochs}${error || ': unknown error'}${counter}`);
        case 'killed':
          return out(`${tag} killed${why} after ${epochs}${counter}`);
        default:
          unhandled(event.status);
          return null;
      }
    }
    case 'warning':
      // a trial's warnings already name it ("trial <id> (<label>): …")
      return { stream: 'err', text: `warning: ${event.message}` };
    case 'sweep-end': {
      const c = event.counts;
      const parts = [`${c.finished} finished`, `${c.failed} failed`];
      if (c.killed > 0) parts.push(`${c.killed} killed`);
      if (c.reused > 0) parts.push(`${c.reused} reused`);
      const took = state.startedAt !== undefined ? ` in ${formatDuration((event.time - state.startedAt) / 1000)}` : '';
      return out(`sweep done${took}: ${parts.join(', ')}`);
    }
    default:
      unhandled(event);
      return null;
  }
}
