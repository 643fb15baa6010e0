// Where runs are recorded. The main thread talks only to this interface; the local MLflow file
// store and the MLflow REST client are its two implementations.
import { RunSweepError } from '../errors.js';

export type RunStatus = 'RUNNING' | 'FINISHED' | 'FAILED' | 'KILLED';

export interface RunRef {
  experimentId: string;
  runId: string;
}

export interface MetricPoint {
  key: string;
  value: number;
  step: number;
  /** ms since the epoch */
  timestamp: number;
}

export interface NewRun {
  runName: string;
  /** ms since the epoch */
  startTime: number;
  tags: Record<string, string>;
  params: Record<string, string>;
  /** the parent (sweep) run, for trial runs */
  parent?: RunRef;
}

/**
 * A dataset as MLflow records it (mlflow.entities.Dataset): name and digest identify it (MLflow
 * keys datasets by the pair; the digest is at most 36 characters), source_type and source say
 * where it came from (source is a JSON string, e.g. {"uri": "file:///..."} for source_type
 * 'local', {"url": "..."} for 'http'), schema and profile are optional JSON strings.
 */
export interface Dataset {
  name: string;
  digest: string;
  sourceType: string;
  source: string;
  schema?: string;
  profile?: string;
}

/** The MLflow input tag that says what a run used a dataset for ('training', 'validation', ...). */
export const DATASET_CONTEXT_TAG = 'mlflow.data.context';

/** A dataset used by a run (mlflow.entities.DatasetInput), with its input tags. */
export interface DatasetInput {
  dataset: Dataset;
  tags: Record<string, string>;
}

/** A trial that an earlier invocation already finished, found by its run_sweep.trial_id tag. */
export interface FinishedTrial {
  trialId: string;
  run: RunRef;
  /** the last value of each metric */
  metrics: Record<string, number>;
}

export interface Tracker {
  /** where runs go, for the console: a directory or a server URI */
  readonly location: string;
  /** the experiment's id, creating it if it does not exist */
  experiment(name: string): Promise<string>;
  createRun(experimentId: string, run: NewRun): Promise<RunRef>;
  logMetrics(run: RunRef, metrics: MetricPoint[]): Promise<void>;
  logParams(run: RunRef, params: Record<string, string>): Promise<void>;
  setTags(run: RunRef, tags: Record<string, string>): Promise<void>;
  /**
   * Records datasets as inputs of the run (MLflow's log_inputs). MLflow keeps one input per
   * (dataset, run): logging the same dataset (name and digest) again adds nothing. Optional: a
   * sink without inputs records none.
   */
  logInputs?(run: RunRef, inputs: DatasetInput[]): Promise<void>;
  /** path is relative to the run's artifact root, '/'-separated */
  logArtifact(run: RunRef, path: string, content: string | Uint8Array): Promise<void>;
  endRun(run: RunRef, status: Exclude<RunStatus, 'RUNNING'>, endTime: number): Promise<void>;
  /** trials of this experiment with a FINISHED run, keyed by trial id */
  finishedTrials(experimentId: string, trialIds: string[]): Promise<Map<string, FinishedTrial>>;
  /**
   * runs left RUNNING by a process that died (or, owner unverifiable, whose heartbeat is stale):
   * mark them KILLED with the time of their last event, and return them
   */
  reapAbandoned(experimentId: string): Promise<RunRef[]>;
  /**
   * Claims a trial before training it, so that two sweeps sharing a store train it once: null when
   * a live owner holds it. Hold the claim until the run has ended (endRun), then release it.
   * Optional: a sink without claims trains every pending trial.
   */
  claimTrial?(experimentId: string, trialId: string): Promise<TrialClaim | null>;
  /** whether a live owner (this process included) holds the trial's claim now, for a sweep waiting on it */
  trialClaimed?(experimentId: string, trialId: string): boolean;
  /**
   * Keeps a run another process made from being reaped while this one works for it (a queued
   * sweep's parent, while a worker trains one of its trials): its heartbeat is beaten now and then
   * until the returned function is called. Optional: a sink that reaps only dead local owners needs none.
   */
  keepAlive?(run: RunRef): () => void;
}

/** A trial this process may train; the claim's heartbeat runs until release. */
export interface TrialClaim {
  readonly experimentId: string;
  readonly trialId: string;
  /** Gives the trial up: stops the heartbeat and removes the claim if it is still ours. Idempotent. */
  release(): void;
}

/** A tracking problem the user can fix (an unknown URI scheme, a missing store): no stack trace. */
export class TrackingError extends RunSweepError {
  override name = 'TrackingError';
  constructor(message: string) {
    super('tracking', message);
  }
}
