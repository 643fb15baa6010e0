// Live progress on the console: one line per event worth a person's attention.
import type { SweepEvent } from '../scheduler/progress.js';
import { formatNumber } from './summary.js';

export function printSweepEvent(event: SweepEvent, write: (line: string) => void): void {
  switch (event.type) {
    case 'tracking':
      return write(`tracking to ${event.location} (experiment id ${event.experimentId})`);
    case 'reaped':
      return write(`marked ${event.count} run(s) left RUNNING by an interrupted sweep as KILLED; their trials run again`);
    case 'reused':
      return write(`[${event.trial.id} ${event.trial.label}] reused: a finished run exists (--rerun trains it again)`);
    case 'trial-start':
      return write(`[${event.trial.id} ${event.trial.label}] started`);
    case 'trial-epoch': {
      const e = event.epoch;
      return write(
        `[${event.trial.id} ${event.trial.label}] epoch ${e.epoch}/${event.epochs}` +
          `  train ppl ${formatNumber(e.trainPerplexity)}  val ppl ${formatNumber(e.valPerplexity)}` +
          `  ${Math.round(e.tokensPerSecond)} tokens/s  ${e.seconds.toFixed(1)}s`,
      );
    }
    case 'trial-progress': {
      const p = event.progress;
      return write(
        `[${event.trial.id} ${event.trial.label}] epoch ${p.epoch}/${event.epochs}` +
          `  batch ${p.batch}/${p.batches}  train ppl ${formatNumber(p.trainPerplexity)} so far`,
      );
    }
    case 'trial-end': {
      const r = event.report;
      const detail = r.status === 'failed' ? `: ${r.error ?? 'unknown error'}` : ` in ${r.wallSeconds.toFixed(1)}s`;
      return write(`[${r.trial.id} ${r.trial.label}] ${r.status}${detail}`);
    }
    case 'warning':
      return write(`warning: ${event.message}`);
  }
}
