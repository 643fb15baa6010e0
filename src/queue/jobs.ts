// What travels through Redis: one job per trial, small (the trial's resolved config and where to
// record it; a few KiB), its progress (the sweep's events, as the worker's sweep emits them) and
// its return value (the trial's figures). Results live in the tracking store, not here.
import { createHash } from 'node:crypto';
import type { ExperimentConfig } from '../config/types.js';
import type { Trial } from '../plan/expand.js';
import type { TrialSizing } from '../plan/preflight.js';
import type { FailureReason, SweepEvent, TrialFigures, TrialStatus } from '../scheduler/events.js';

export const JOB_NAME = 'trial';
export const PAYLOAD_VERSION = 1;

export interface TrialJobData {
  v: typeof PAYLOAD_VERSION;
  /** the MLflow experiment: the sweep's name in status and cancel */
  experiment: string;
  /** an absolute store directory or a server URI (credentials removed: workers bring their own) */
  trackingUri: string;
  /** the sweep's parent run in that store, when the submitter made one workers can nest under */
  parent: { experimentId: string; runId: string } | null;
  /** when the job was submitted (ms): a cancel after it stops it */
  submittedAt: number;
  file: string;
  baseDir: string;
  config: ExperimentConfig;
  trial: Trial;
  sizing: TrialSizing | null;
  trialTimeoutMs: number | null;
  maxMemoryMb: number | null;
  /** the SHA-1 of the trial's file corpus, shipped through Redis for workers that lack the file (corpus.ts) */
  corpusSha1?: string;
}

/** What a job returns: the trial's outcome as its worker saw it. */
export interface TrialJobResult {
  status: Extract<TrialStatus, 'finished' | 'reused'>;
  figures: TrialFigures;
  wallSeconds: number;
  samples: { prefix: string; text: string }[];
  runId: string | null;
  worker: string;
}

/**
 * The job id: the trial id under its experiment (a trial id is a hash of the trial's settings, the
 * same in two experiments that share a grid point). BullMQ refuses ':' in custom ids; the experiment
 * name is hashed so that any name fits.
 */
export function jobId(experiment: string, trialId: string): string {
  return `${createHash('sha1').update(experiment).digest('hex').slice(0, 8)}-${trialId}`;
}

/** Redis keys of our own, beside BullMQ's, under the queue's prefix. */
export function cancelKey(queueName: string, experiment: string): string {
  return `bull:${queueName}:run-sweep:cancel:${experiment}`;
}

/** Failure messages that carry a reason: `diverged: the loss became NaN at epoch 3`. */
export function failureMessage(reason: FailureReason, message: string): string {
  return `${reason}: ${message}`;
}

export function parseFailure(failedReason: string | undefined): { reason: FailureReason; message: string } {
  const text = failedReason ?? 'unknown failure';
  const m = /^(timeout|out_of_memory|diverged|error|interrupted): ([\s\S]*)$/.exec(text);
  if (m) return { reason: m[1] as FailureReason, message: m[2]! };
  return { reason: 'error', message: text };
}

/** Failures by cancel: the job fails with this prefix and the trial's run ends KILLED. */
export const CANCELLED = 'cancelled by run-sweep cancel';

// Events go through JSON: NaN and ±Infinity (figures of a failed trial) would become null.
const NUM = '$num';

export function encodeEvent(event: SweepEvent): { event: string } {
  return { event: JSON.stringify(event, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? { [NUM]: String(v) } : v)) };
}

export function decodeEvent(progress: unknown): SweepEvent | null {
  if (typeof progress !== 'object' || progress === null || typeof (progress as { event?: unknown }).event !== 'string') return null;
  try {
    return JSON.parse((progress as { event: string }).event, (_k, v: unknown) =>
      typeof v === 'object' && v !== null && NUM in v ? Number((v as Record<string, string>)[NUM]) : v) as SweepEvent;
  } catch {
    return null;
  }
}

/** Figures revived from a return value (JSON turned NaN into null). */
export function reviveFigures(f: Partial<Record<keyof TrialFigures, number | null>> | undefined): TrialFigures {
  const n = (x: number | null | undefined): number => (typeof x === 'number' ? x : NaN);
  return { trainPerplexity: n(f?.trainPerplexity), valPerplexity: n(f?.valPerplexity), tokensPerSecond: n(f?.tokensPerSecond) };
}

/** A failure another attempt may cure (the machine, not the trial): retried with backoff. */
export function isInfrastructureFailure(reason: FailureReason | undefined, error: string | undefined): boolean {
  return reason === 'out_of_memory' || (reason === 'error' && (error ?? '').startsWith('the worker thread died'));
}
