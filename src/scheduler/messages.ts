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
  events: MessagePort;
}

/** How a trial that threw ends its channel: why (for the run's failure tag) and what was said. */
export interface TrialFailure {
  type: 'failure';
  reason: Exclude<FailureReason, 'timeout' | 'interrupted'>;
  message: string;
  stack?: string;
}

/**
 * What a worker posts on `events`, in order: the trial's events, then exactly one `result` or
 * `failure`, the channel's last message. A worker that dies (out of memory, a crash, terminated
 * for a timeout or Ctrl-C) sends neither; the main thread then knows the trial did not end by itself.
 */
export type TrialMessage = TrainEvent | { type: 'result'; result: TrainResult } | TrialFailure;
