// What a training run reports while it works. The worker forwards these to the main thread,
// which alone records them (train/ never imports track/).

export interface SetupEvent {
  type: 'setup';
  vocabSize: number;
  paramCount: number;
  /** the tfjs backend actually in use */
  backend: string;
  /** the build of the fast path's WebAssembly kernels in use ('relaxed-simd' or 'simd'); 'none' on the plain path */
  kernels: string;
  /**
   * where the fast path's matrix products ran: a native BLAS (its library and, for OpenBLAS, its
   * version and kernel) or 'wasm'; 'none' on the plain path
   */
  blas: string;
  trainTokens: number;
  valTokens: number;
  /** share of the training tokens that are <unk> (index 0) */
  unknownShare: number;
}

export interface EpochEvent {
  type: 'epoch';
  epoch: number;
  trainPerplexity: number;
  /** NaN when validation_fraction is 0 */
  valPerplexity: number;
  tokensPerSecond: number;
  /** mean global L2 norm of the gradients before clipping */
  gradNorm: number;
  lr: number;
  seconds: number;
}

/** Within a long epoch, at most every PROGRESS_INTERVAL_MS: how far it has got. */
export interface ProgressEvent {
  type: 'progress';
  epoch: number;
  batch: number;
  batches: number;
  /** over the epoch's minibatches so far */
  trainPerplexity: number;
}

/** Often enough that a long epoch shows signs of life, rarely enough not to flood the console. */
export const PROGRESS_INTERVAL_MS = 10_000;

export interface SampleEvent {
  type: 'sample';
  epoch: number;
  prefix: string;
  text: string;
}

/** The trained weights, in tfjs's own save format (model.json + weights.bin). */
export interface WeightsEvent {
  type: 'weights';
  files: { path: string; data: Uint8Array }[];
}

/** Something the user should know that does not stop the trial. */
export interface WarningEvent {
  type: 'warning';
  message: string;
}

export type TrainEvent = SetupEvent | EpochEvent | ProgressEvent | SampleEvent | WeightsEvent | WarningEvent;

export interface TrainResult {
  epochs: number;
  trainPerplexity: number;
  valPerplexity: number;
  tokensPerSecond: number;
  stoppedEarly: boolean;
  /** the last sample generated for each prefix */
  samples: { prefix: string; text: string }[];
}
