// Turns one trial's events into tracker calls. Events arrive faster than a tracker may write them,
// so calls go through a queue and land in the order the worker sent them.
import type { TrainEvent, TrainResult } from '../train/events.js';
import type { MetricPoint, RunRef, Tracker } from '../track/tracker.js';

export class TrialRecorder {
  private queue: Promise<void> = Promise.resolve();
  private failure: unknown = undefined;
  private readonly samplesByEpoch = new Map<number, string>();

  constructor(
    private readonly tracker: Tracker,
    readonly run: RunRef,
    private readonly now: () => number = Date.now,
  ) {}

  record(event: TrainEvent): void {
    this.enqueue(() => this.write(event));
  }

  artifact(path: string, content: string | Uint8Array): void {
    this.enqueue(() => this.tracker.logArtifact(this.run, path, content));
  }

  /** Logs the outcome, ends the run, and resolves once every queued write has landed. */
  async finish(outcome: { result: TrainResult } | { error: Error } | { killed: true }): Promise<void> {
    if ('error' in outcome) {
      const { message, stack } = outcome.error;
      this.artifact('error.txt', `${stack ?? message}\n`);
    }
    const status = 'result' in outcome ? 'FINISHED' : 'error' in outcome ? 'FAILED' : 'KILLED';
    this.enqueue(() => this.tracker.endRun(this.run, status, this.now()));
    await this.queue;
    if (this.failure !== undefined) throw this.failure;
  }

  private enqueue(write: () => Promise<void>): void {
    // One failed write must not stop the rest: the first error is kept and rethrown by finish().
    this.queue = this.queue.then(write).catch((err: unknown) => {
      this.failure ??= err;
    });
  }

  private async write(event: TrainEvent): Promise<void> {
    const timestamp = this.now();
    switch (event.type) {
      case 'setup':
        return this.tracker.logParams(this.run, {
          vocab_size: String(event.vocabSize),
          param_count: String(event.paramCount),
          backend: event.backend,
          kernels: event.kernels,
          train_tokens: String(event.trainTokens),
          val_tokens: String(event.valTokens),
        });
      case 'epoch': {
        const metrics: MetricPoint[] = [
          ['train_perplexity', event.trainPerplexity],
          ['val_perplexity', event.valPerplexity],
          ['tokens_per_second', event.tokensPerSecond],
          ['grad_norm', event.gradNorm],
          ['lr', event.lr],
          ['epoch_seconds', event.seconds],
        ].map(([key, value]) => ({ key: key as string, value: value as number, step: event.epoch, timestamp }));
        return this.tracker.logMetrics(this.run, metrics);
      }
      case 'sample':
        return this.tracker.logArtifact(
          this.run,
          `samples/epoch_${String(event.epoch).padStart(3, '0')}.txt`,
          this.appendSample(event.epoch, event.prefix, event.text),
        );
      case 'progress':
      case 'warning':
        return; // for the console only: the epoch's metrics are what a run keeps
      case 'weights':
        for (const file of event.files) await this.tracker.logArtifact(this.run, `model/${file.path}`, file.data);
        return;
    }
  }

  /** Every prefix's sample of one epoch goes into one file, rewritten as each arrives. */
  private appendSample(epoch: number, prefix: string, text: string): string {
    const content = `${this.samplesByEpoch.get(epoch) ?? ''}prefix: ${JSON.stringify(prefix)}\n${text}\n\n`;
    this.samplesByEpoch.set(epoch, content);
    return content;
  }
}
