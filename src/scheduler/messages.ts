// Every message between the main thread and a trial worker, typed in one place.
import type { MessagePort } from 'node:worker_threads';
import type { TrialConfig } from '../config/types.js';
import type { TrainEvent, TrainResult } from '../train/events.js';
import type { FailureReason } from './events.js';

/** What the main thread hands a worker: one trial, and the port that is the trial's one channel back. */
export interface TrialTask {
  trialId: string;
  config: TrialConfig;
  /** the experiment file's directory: relative corpus paths are resolved against it */
  baseDir: string;
  /** a copy of the trial's file corpus on this machine, where the path its config names is not (a queue worker's) */
  corpusFile?: string;
  events: MessagePort;
}

/** How a trial that threw ends its channel: why (for the run's failure tag) and what was said. */
export interface TrialFailure {
  type: 'failure';
  reason: Exclude<FailureReason, 'timeout' | 'interrupted'>;
  message: string;
  stack?: string;
}

/** The trial stopped between two minibatches because the main thread asked it to (StopRequest). */
export interface TrialStopped {
  type: 'stopped';
}

/**
 * What a worker posts on `events`, in order: the trial's events, then exactly one `result`,
 * `failure` or `stopped`, the channel's last message. A worker that dies (out of memory, a crash,
 * terminated because it did not stop when asked) sends none of them; the main thread then knows
 * the trial did not end by itself.
 */
export type TrialMessage = TrainEvent | { type: 'result'; result: TrainResult } | TrialFailure | TrialStopped;

/**
 * What the main thread posts on `events` to the worker: stop at the next minibatch (Ctrl-C, a
 * signal, a trial timeout, a failed store). Asked, not forced: a thread terminated while it is
 * inside native code (koffi loading its addon, say) can take the whole process down with it
 * (seen in CI: "FATAL ERROR: Error::ThrowAsJavaScriptException napi_throw", exit 134). Only a
 * worker that has not stopped after the sweep's grace period is terminated.
 */
export interface StopRequest {
  type: 'stop';
}
