// The server's side of MirroredTracker: every run written to the local store gets a lane here, a
// list of operations sent to the server in order (create, log-batch, inputs, artifacts, end), in the
// background. Tracker calls only append to a lane and return; nothing here delays training, local
// recording or Ctrl-C.
//
// - Per run, operations are sent one at a time and in order; a child run's create waits until its
//   parent exists on the server. Lanes of different runs run concurrently. Local ids are mapped to
//   server ids here (the server run carries run_sweep.local_run_id, so `run-sweep sync` can match).
// - Consecutive metric/param/tag calls waiting in a lane go in one log-batch; an artifact
//   rewritten before it was sent is sent once, with its last content.
// - A network-type failure (refused, timeout, 5xx, 429 after the client's few tries), an answer
//   that is not MLflow's, or credentials refused mid-sweep: the server is given up on. Nothing more
//   is sent, in-flight requests are aborted, and it is reported once; the local store has it all,
//   and `run-sweep sync` uploads the rest later.
// - Any other 4xx (400 INVALID_PARAMETER_VALUE, 404, 405, 413 ...): the server rejected that run.
//   Its lane stops (its children wait for sync), it is reported, other runs go on.
import { RunSweepError } from '../errors.js';
import type { DatasetInput, MetricPoint, NewRun, RunRef, RunStatus } from './tracker.js';
import type { RestTracker } from './mlflow-rest.js';
import { MlflowApiError, RequestAbortedError } from './rest-client.js';
import { LOCAL_RUN_ID_TAG } from './run-tags.js';

/** What the server got from this process, for the message at the end of a sweep. */
export interface UploadReport {
  /** runs created in this process that are complete on the server: created, everything logged, ended */
  runsOnServer: number;
  /** runs created in this process that are not (all) on the server; `run-sweep sync` uploads them */
  runsPending: number;
  /** one line per run the server rejected (a 4xx other than 401/403): the run and the reason */
  rejected: string[];
  /** why the server was given up on (unreachable, not MLflow, credentials refused mid-sweep); null if it was not */
  unreachable: string | null;
  /** the server, credentials redacted: `run-sweep sync --to <location>` */
  location: string;
}

/**
 * A problem with the server, told through the tracker's callback as it happens: 'unreachable'
 * (once per process; kind 'tracking') or 'rejected' (once per rejected run; kind 'server-rejected',
 * exit 1). Its message never holds a credential.
 */
export class UploadProblem extends RunSweepError {
  override name = 'UploadProblem';
  constructor(readonly problem: 'unreachable' | 'rejected', message: string, readonly localRunId?: string) {
    super(problem === 'rejected' ? 'server-rejected' : 'tracking', message);
  }
}

type Op =
  | { kind: 'create'; run: NewRun }
  | { kind: 'log'; metrics: MetricPoint[]; params: Record<string, string>; tags: Record<string, string> }
  | { kind: 'artifact'; path: string; content: Uint8Array }
  | { kind: 'inputs'; inputs: DatasetInput[] }
  | { kind: 'end'; status: Exclude<RunStatus, 'RUNNING'>; endTime: number };

interface Lane {
  localId: string;
  localExperimentId: string;
  parentLocalId: string | undefined;
  runName: string;
  ops: Op[];
  /** the server run, once created */
  server: RunRef | undefined;
  /** resolves to the server run, or null once it is certain this process will not create it */
  created: Deferred<RunRef | null>;
  /** 'rejected': the server refused this run; 'blocked': its parent never made it to the server */
  state: 'open' | 'rejected' | 'blocked';
  /** its end (status, end time) reached the server: with nothing queued after it, the run is complete */
  ended: boolean;
  running: boolean;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (v: T) => void;
  settled: boolean;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  const d = { settled: false } as Deferred<T>;
  d.promise = new Promise<T>((r) => (resolve = r));
  d.resolve = (v: T): void => {
    if (d.settled) return;
    d.settled = true;
    resolve(v);
  };
  return d;
}

export interface UploadQueueOptions {
  /** told once when the server is given up on, and once per rejected run */
  onProblem?: (problem: UploadProblem) => void;
  /** aborted by abandon() and when the server is given up on: the remote's requests must use its signal */
  controller?: AbortController;
  /** a local experiment id → its name, for creating it on the server */
  experimentName: (localExperimentId: string) => string;
}

export class UploadQueue {
  private readonly lanes = new Map<string, Lane>();
  /** runs another process created on the server, by the local id this process refers to them with */
  private readonly adopted = new Map<string, RunRef>();
  private readonly experiments = new Map<string, Promise<string>>();
  private readonly background = new Set<Promise<unknown>>();
  private readonly rejected: string[] = [];
  private readonly idleWaiters: Array<() => void> = [];
  private stopped: null | 'unreachable' | 'abandoned' = null;
  private unreachable: string | null = null;

  constructor(private readonly remote: RestTracker, private readonly opts: UploadQueueOptions) {}

  /** false once the server was given up on or the queue abandoned */
  get sending(): boolean {
    return this.stopped === null;
  }

  /** Starts finding (or creating) the experiment on the server, in the background. */
  warmExperiment(localExperimentId: string): void {
    this.run(() => this.serverExperiment(localExperimentId));
  }

  addRun(ref: RunRef, run: NewRun): void {
    const lane: Lane = {
      localId: ref.runId, localExperimentId: ref.experimentId, parentLocalId: run.parent?.runId, runName: run.runName,
      ops: [], server: undefined, created: deferred(), state: 'open', ended: false, running: false,
    };
    this.lanes.set(ref.runId, lane);
    this.push(lane, { kind: 'create', run: { ...run, tags: { ...run.tags }, params: { ...run.params } } });
  }

  logMetrics(run: RunRef, metrics: MetricPoint[]): void {
    if (metrics.length > 0) this.pushTo(run, { kind: 'log', metrics: metrics.map((m) => ({ ...m })), params: {}, tags: {} });
  }

  logParams(run: RunRef, params: Record<string, string>): void {
    if (Object.keys(params).length > 0) this.pushTo(run, { kind: 'log', metrics: [], params: { ...params }, tags: {} });
  }

  setTags(run: RunRef, tags: Record<string, string>): void {
    if (Object.keys(tags).length > 0) this.pushTo(run, { kind: 'log', metrics: [], params: {}, tags: { ...tags } });
  }

  logArtifact(run: RunRef, path: string, content: string | Uint8Array): void {
    // a copy: the caller may reuse its buffer once the local write is done
    const copy = typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content);
    this.pushTo(run, { kind: 'artifact', path, content: copy });
  }

  logInputs(run: RunRef, inputs: DatasetInput[]): void {
    if (inputs.length > 0) {
      this.pushTo(run, { kind: 'inputs', inputs: inputs.map((i) => ({ dataset: { ...i.dataset }, tags: { ...i.tags } })) });
    }
  }

  endRun(run: RunRef, status: Exclude<RunStatus, 'RUNNING'>, endTime: number): void {
    this.pushTo(run, { kind: 'end', status, endTime });
  }

  /** The experiment's id on the server, found or created once per process. */
  serverExperiment(localExperimentId: string): Promise<string> {
    let p = this.experiments.get(localExperimentId);
    if (!p) {
      p = Promise.resolve().then(() => this.remote.experiment(this.opts.experimentName(localExperimentId)));
      this.experiments.set(localExperimentId, p);
    }
    return p;
  }

  /**
   * A read from the server that the caller may go without (trials finished elsewhere): null when
   * the queue is stopped or the read fails (failures are handled as the lanes' are). Never rejects.
   */
  read<T>(work: () => Promise<T>): Promise<T | null> {
    if (this.stopped) return Promise.resolve(null);
    const p = Promise.resolve().then(work);
    this.track(p);
    return p.catch(() => null);
  }

  /** Runs work in the background (reaping the server's abandoned runs); failures are classified, never thrown. */
  run(work: () => Promise<unknown>): void {
    if (this.stopped) return;
    this.track(new Promise<void>((resolve) => setImmediate(resolve)).then(work));
  }

  /**
   * Waits until everything queued has reached the server, the server was given up on, or timeoutMs
   * passed; at the deadline the queue is abandoned, so the report is final and no request keeps
   * the process alive. Calls made after a drain that did not time out are still sent.
   */
  async drain(timeoutMs: number): Promise<UploadReport> {
    if (!this.idle()) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.idleWaiters.push(resolve)),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, timeoutMs)))),
      ]);
      clearTimeout(timer);
      if (!this.idle()) this.abandon();
    }
    return this.report();
  }

  /** Stops at once (Ctrl-C): nothing more is sent, in-flight requests are aborted. */
  abandon(): UploadReport {
    this.stop('abandoned');
    return this.report();
  }

  /** The server is known to be unreachable (the preflight check said so): send nothing, say nothing. */
  markUnreachable(reason: string): void {
    if (this.stopped) return;
    this.unreachable = this.redact(reason);
    this.stop('unreachable');
  }

  report(): UploadReport {
    let onServer = 0;
    for (const lane of this.lanes.values()) if (this.complete(lane)) onServer++;
    return {
      runsOnServer: onServer,
      runsPending: this.lanes.size - onServer,
      rejected: [...this.rejected],
      unreachable: this.unreachable,
      location: this.remote.location,
    };
  }

  /** the server run of a local run, once created there */
  serverRun(localRunId: string): RunRef | undefined {
    return this.lanes.get(localRunId)?.server;
  }

  /**
   * A run another process created on the server (a queued sweep's parent), known here by
   * `localId`: runs created with it as their parent nest under `server` there.
   */
  adopt(localId: string, server: RunRef): void {
    this.adopted.set(localId, server);
  }

  private complete(lane: Lane): boolean {
    return lane.state === 'open' && lane.ended && lane.ops.length === 0 && !lane.running;
  }

  private pushTo(run: RunRef, op: Op): void {
    const lane = this.lanes.get(run.runId);
    // a run this process did not create (another sweep's): nothing to mirror, sync covers it
    if (lane) this.push(lane, op);
  }

  private push(lane: Lane, op: Op): void {
    if (this.stopped || lane.state !== 'open') return;
    lane.ops.push(op);
    // a macrotask: the caller (training, the recorder) resumes before any server work starts
    if (lane.ops.length === 1 && !lane.running) setImmediate(() => void this.pump(lane));
  }

  private async pump(lane: Lane): Promise<void> {
    if (lane.running) return;
    lane.running = true;
    try {
      while (!this.stopped && lane.state === 'open' && lane.ops.length > 0) {
        await this.apply(lane, this.takeNext(lane));
      }
    } catch (err) {
      this.fail(err, lane);
    } finally {
      lane.running = false;
      this.notify();
    }
  }

  /** the next operation, with what can be merged into it */
  private takeNext(lane: Lane): Op {
    const op = lane.ops.shift()!;
    if (op.kind === 'log') {
      const merged = { ...op, metrics: [...op.metrics], params: { ...op.params }, tags: { ...op.tags } };
      while (lane.ops[0]?.kind === 'log') {
        const next = lane.ops.shift() as Extract<Op, { kind: 'log' }>;
        merged.metrics.push(...next.metrics);
        Object.assign(merged.params, next.params);
        Object.assign(merged.tags, next.tags);
      }
      return merged;
    }
    if (op.kind === 'artifact') {
      // rewritten before it was sent (a sample file growing prefix by prefix): send the last version only
      const later = lane.ops.findIndex((o) => o.kind === 'artifact' && o.path === op.path);
      if (later >= 0) return this.takeNext(lane);
    }
    return op;
  }

  private async apply(lane: Lane, op: Op): Promise<void> {
    if (op.kind === 'create') {
      const experimentId = await this.serverExperiment(lane.localExperimentId);
      let parent: RunRef | undefined;
      if (lane.parentLocalId !== undefined) {
        const parentLane = this.lanes.get(lane.parentLocalId);
        parent = this.adopted.get(lane.parentLocalId) ?? (parentLane ? await parentLane.created.promise : null) ?? undefined;
        if (parent === undefined) {
          // its parent is not on the server (rejected, or created by another process): sync's job
          lane.state = 'blocked';
          lane.ops = [];
          lane.created.resolve(null);
          return;
        }
      }
      if (this.stopped) return;
      const server = await this.remote.createRun(experimentId, {
        ...op.run, parent, tags: { ...op.run.tags, [LOCAL_RUN_ID_TAG]: lane.localId },
      });
      lane.server = server;
      lane.created.resolve(server);
      return;
    }
    const server = lane.server;
    if (!server) throw new Error(`run ${lane.localId}: no server run to write to`);
    switch (op.kind) {
      case 'log':
        await this.remote.api.logBatch(server.runId, { metrics: op.metrics, params: op.params, tags: op.tags });
        return;
      case 'artifact':
        await this.remote.logArtifact(server, op.path, op.content);
        return;
      case 'inputs':
        await this.remote.api.logInputs(server.runId, op.inputs);
        return;
      case 'end':
        await this.remote.endRun(server, op.status, op.endTime);
        lane.ended = true;
    }
  }

  /** a failure of a lane (lane set) or of background work */
  private fail(err: unknown, lane?: Lane): void {
    if (this.stopped || err instanceof RequestAbortedError) return;
    const message = this.redact(err instanceof Error ? err.message : String(err));
    if (err instanceof MlflowApiError && !err.isAuth) {
      if (!lane) return; // a read in the background (a search) refused: nothing of a run was lost
      this.rejectLane(lane, message);
      return;
    }
    if (lane && !(err instanceof RunSweepError)) {
      // not a server answer (a bug, a value the client refused): this run only
      this.rejectLane(lane, message);
      return;
    }
    // unreachable, timed out, 5xx, 429, not MLflow, credentials refused, artifacts not proxied
    this.unreachable = message;
    this.stop('unreachable');
    this.opts.onProblem?.(new UploadProblem('unreachable', message));
  }

  private rejectLane(lane: Lane, message: string): void {
    lane.state = 'rejected';
    lane.ops = [];
    lane.created.resolve(null);
    const line = `run '${lane.runName}' (${lane.localId}): ${message}`;
    this.rejected.push(line);
    this.opts.onProblem?.(new UploadProblem('rejected', `the server rejected ${line}`, lane.localId));
  }

  private stop(why: 'unreachable' | 'abandoned'): void {
    if (this.stopped) return;
    this.stopped = why;
    this.opts.controller?.abort();
    for (const lane of this.lanes.values()) {
      lane.ops = []; // free what was waiting (weights): it is in the local store
      lane.created.resolve(null);
    }
    this.notify();
  }

  private track(p: Promise<unknown>): void {
    const guarded = p.catch((err: unknown) => this.fail(err)).finally(() => {
      this.background.delete(guarded);
      this.notify();
    });
    this.background.add(guarded);
  }

  private idle(): boolean {
    if (this.stopped) return true;
    if (this.background.size > 0) return false;
    for (const lane of this.lanes.values()) if (lane.running || (lane.state === 'open' && lane.ops.length > 0)) return false;
    return true;
  }

  private notify(): void {
    if (!this.idle()) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** the client's secrets and any URI userinfo out (its errors are redacted already: a second guard) */
  private redact(text: string): string {
    return this.remote.api.client.redact(text);
  }
}
