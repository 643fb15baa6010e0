// The typed contract between the main thread and a trial worker.
import type { MessagePort } from 'node:worker_threads';
import type { TrialConfig } from '../config/types.js';
import type { TrainEvent, TrainResult } from '../train/events.js';

/** What the main thread hands a worker: one trial, and a port to stream its events back on. */
export interface TrialTask {
  trialId: string;
  config: TrialConfig;
  /** the experiment file's directory: relative corpus paths are resolved against it */
  baseDir: string;
  events: MessagePort;
}

/**
 * What a worker posts on `events`, in order: the trial's events, then `end` — sent whether the
 * trial succeeded or threw, so the main thread knows every event has arrived. (A port's 'close'
 * event is no such signal: it can be lost when the worker closes its end right after posting.)
 */
export type TrialMessage = TrainEvent | { type: 'end' };

/** What a worker's task resolves to. A trial that throws rejects the task instead. */
export type TrialOutcome = TrainResult;
