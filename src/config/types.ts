// The resolved experiment config: what a YAML file says after schema defaults are filled in.
// schemas/experiment.schema.json is the source of truth; test/config-types.test.ts keeps the two
// from drifting (every schema property is a key here and vice versa, with matching enums).

export type Cell = 'rnn' | 'gru' | 'lstm';

export interface DataConfig {
  /** 'moby-dick' | 'timemachine' | a path to a UTF-8 .txt file, relative to the YAML file */
  corpus: string;
  level: 'char' | 'word';
  /** keep only the first N tokens, before the validation split; null keeps all */
  max_tokens: number | null;
  /** the last fraction of the token stream is held out; 0 trains on everything */
  validation_fraction: number;
  /** tokens seen fewer times become <unk> */
  min_freq: number;
  lowercase: boolean;
  /** 'letters': d2l's read_time_machine — runs of non-letters become one space, lines stripped and joined */
  normalize: 'none' | 'letters';
}

export interface ModelConfig {
  cell: Cell;
  hidden_size: number;
  num_layers: number;
  /** vanilla rnn only */
  nonlinearity: 'tanh' | 'relu';
  bidirectional: boolean;
  /** dropout between stacked layers */
  dropout: number;
  /** 'one_hot' (d2l) or the size of a learned embedding */
  embedding: 'one_hot' | number;
  /** 'uniform' is PyTorch's default U(-1/sqrt(h), 1/sqrt(h)), which d2l's concise models use */
  init: 'uniform' | 'normal' | 'xavier' | 'orthogonal';
  /** initial LSTM forget-gate bias */
  forget_bias: number;
}

export interface TrainConfig {
  epochs: number;
  batch_size: number;
  num_steps: number;
  sampling: 'sequential' | 'random';
  optimizer: 'sgd' | 'adam';
  lr: number;
  /** sgd only */
  momentum: number;
  lr_schedule: 'constant' | 'step' | 'cosine';
  /** step schedule: multiply lr by lr_gamma every lr_step_epochs */
  lr_step_epochs: number;
  lr_gamma: number;
  /** cosine schedule: the lr reached at the last epoch */
  lr_min: number;
  /** global L2 gradient-norm threshold θ; 0 turns clipping off */
  clip_norm: number;
  /** stop after this many epochs without a better validation perplexity; 0 turns it off */
  early_stopping: number;
  seed: number;
}

export interface SampleConfig {
  prefixes: string[];
  length: number;
  every_epochs: number;
  /** 0 is greedy argmax (d2l's predict_ch8) */
  temperature: number;
  /** sample among the k most likely tokens; 0 means all */
  top_k: number;
}

export interface SweepConfig {
  /**
   * dotted path into this file → the values to try; the cartesian product is the grid. A range in
   * the file ({start, stop, step} or {log, num}) is expanded to its list of values by loadExperiment.
   */
  grid: Record<string, unknown[]>;
  /** extra points: dotted path → value, the paths left out taking the values set outside the grid */
  include: Record<string, unknown>[];
  /** partial grid points (grid path → value): a grid point matching every key of one is dropped */
  exclude: Record<string, unknown>[];
  /** each grid point is repeated once per seed (sets train.seed); null runs train.seed alone */
  seeds: number[] | null;
  /** null means the machine's available parallelism */
  workers: number | null;
  /** per-trial time limit: seconds, or a string with a unit ("30m"); parseDuration gives ms; null: none */
  trial_timeout: number | string | null;
  /** per-trial memory limit in MiB; null lets the machine's memory decide */
  max_memory_mb: number | null;
  /** re-runs of a trial after an infrastructure failure (worker crash, out of memory) */
  retries: number;
}

export interface TrackingConfig {
  /** MLflow experiment name; null means the experiment's name */
  experiment: string | null;
  uri: string | null;
  /** how long to wait for uploads after training: seconds, or a string with a unit ("2m"); parseDuration gives ms */
  upload_timeout: number | string;
  /** exit 2 before training when the server cannot be reached */
  require_server: boolean;
}

export interface EngineConfig {
  backend: 'auto' | 'wasm' | 'cpu' | 'tensorflow';
  /** 'fast': fused recurrent layers; 'plain': per-step ops under autodiff, the fast path's oracle */
  path: 'fast' | 'plain';
  /**
   * where the fast path's matrix products run: 'auto' (a system BLAS where it is there, correct and
   * faster), 'off' (the WebAssembly kernels) or a BLAS library's path
   */
  blas: string;
}

/** A perplexity's rule in `check.metrics`: higher is worse. */
export interface IncreaseRule {
  /** allowed rise as a fraction of the baseline's mean; null: the metric is not compared */
  max_increase: number | null;
  /** allowed rise in σ, the baseline's sample standard deviation over seeds (0 with one seed) */
  sigmas: number;
}

/** tokens/s's rule in `check.metrics`: lower is worse. */
export interface DecreaseRule {
  /** allowed fall as a fraction of the baseline's mean; null: the metric is not compared */
  max_decrease: number | null;
  sigmas: number;
}

export interface CheckMetrics {
  val_perplexity: IncreaseRule;
  train_perplexity: IncreaseRule;
  tokens_per_second: DecreaseRule;
}

/** What `run-sweep check` fails on; no part of a trial's id or run params. */
export interface CheckConfig {
  metrics: CheckMetrics;
}

export interface ExperimentConfig {
  name: string;
  description: string;
  data: DataConfig;
  model: ModelConfig;
  train: TrainConfig;
  sample: SampleConfig;
  sweep: SweepConfig;
  tracking: TrackingConfig;
  engine: EngineConfig;
  check: CheckConfig;
}

/** One trial's config: the experiment config with the grid point and seed applied, sweep removed. */
export type TrialConfig = Omit<ExperimentConfig, 'sweep'>;
