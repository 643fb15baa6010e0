// With a server configured, every call writes the local file store (the write-ahead log) and
// returns as soon as that write is done; the server is fed from its own background queue
// (upload-queue.ts). A slow, hung or dead server never delays training, local recording or Ctrl-C:
// the worst it does is leave runs for `run-sweep sync`. At the end of a sweep, drain() waits a
// bounded time for the queue and says what reached the server; abandon() stops it at once.
import type { DatasetInput, FinishedTrial, MetricPoint, NewRun, RunRef, RunStatus, Tracker, TrialClaim } from './tracker.js';
import type { FileStoreTracker } from './file-store.js';
import type { RestTracker } from './mlflow-rest.js';
import { listExperiments } from './store-reader.js';
import { UploadQueue, type UploadProblem, type UploadReport } from './upload-queue.js';

export type { UploadProblem, UploadReport } from './upload-queue.js';

export interface MirrorOptions {
  /**
   * Told when the server is given up on (once: problem 'unreachable', kind 'tracking') and when it
   * rejects a run (once per run: problem 'rejected', kind 'server-rejected'). Messages hold no secret.
   */
  onRemoteFailure?: (problem: UploadProblem) => void;
  /** aborted by abandon() and when the server is given up on; the RestTracker must use its signal */
  controller?: AbortController;
  /** how long the first finishedTrials waits for the server's answer before going on with the local one (ms, default 5 s) */
  lookupTimeoutMs?: number;
}

interface ServerSearch {
  /** the trial ids it asked about */
  ids: Set<string>;
  /** undefined until the search has answered (or failed: then empty) */
  answer: Map<string, FinishedTrial> | undefined;
  done?: Promise<void>;
}

export class MirroredTracker implements Tracker {
  readonly location: string;
  private readonly queue: UploadQueue;
  private readonly names = new Map<string, string>();
  private readonly lookupTimeoutMs: number;
  /** per local experiment: the server's finished trials, once its one search has answered */
  private readonly serverFinished = new Map<string, ServerSearch[]>();

  constructor(readonly local: FileStoreTracker, readonly remote: RestTracker, opts: MirrorOptions = {}) {
    this.location = `${remote.location} (local copy in ${local.location})`;
    this.lookupTimeoutMs = opts.lookupTimeoutMs ?? 5_000;
    this.queue = new UploadQueue(remote, {
      onProblem: opts.onRemoteFailure,
      controller: opts.controller,
      experimentName: (id) => this.experimentName(id),
    });
  }

  /** false once the server was given up on (or the queue abandoned): the rest waits for sync */
  get remoteHealthy(): boolean {
    return this.queue.sending;
  }

  async experiment(name: string): Promise<string> {
    const id = await this.local.experiment(name);
    this.names.set(id, name);
    this.queue.warmExperiment(id);
    return id;
  }

  async createRun(experimentId: string, run: NewRun): Promise<RunRef> {
    const ref = await this.local.createRun(experimentId, run);
    this.queue.addRun(ref, run);
    return ref;
  }

  async logMetrics(run: RunRef, metrics: MetricPoint[]): Promise<void> {
    await this.local.logMetrics(run, metrics);
    this.queue.logMetrics(run, metrics);
  }

  async logParams(run: RunRef, params: Record<string, string>): Promise<void> {
    await this.local.logParams(run, params);
    this.queue.logParams(run, params);
  }

  async setTags(run: RunRef, tags: Record<string, string>): Promise<void> {
    await this.local.setTags(run, tags);
    this.queue.setTags(run, tags);
  }

  async logInputs(run: RunRef, inputs: DatasetInput[]): Promise<void> {
    await this.local.logInputs(run, inputs);
    this.queue.logInputs(run, inputs);
  }

  async logArtifact(run: RunRef, path: string, content: string | Uint8Array): Promise<void> {
    await this.local.logArtifact(run, path, content);
    this.queue.logArtifact(run, path, content);
  }

  async endRun(run: RunRef, status: Exclude<RunStatus, 'RUNNING'>, endTime: number): Promise<void> {
    await this.local.endRun(run, status, endTime);
    this.queue.endRun(run, status, endTime);
  }

  /**
   * Local results first; trials finished only on the server (another machine's) come from it. A
   * trial id is looked up on the server once per process: the first lookup of new ids waits for
   * the search at most lookupTimeoutMs; later calls for ids already asked about (the scheduler asks
   * again for each trial before training it) use the answer if it has come, and never wait.
   * forgetServerAnswers() makes the next call ask again (a watcher whose workers finished trials
   * since). Server trials carry the server's run and experiment ids.
   */
  async finishedTrials(experimentId: string, trialIds: string[]): Promise<Map<string, FinishedTrial>> {
    const found = await this.local.finishedTrials(experimentId, trialIds);
    const missing = trialIds.filter((id) => !found.has(id));
    if (missing.length === 0) return found;
    const searches = this.serverFinished.get(experimentId) ?? [];
    this.serverFinished.set(experimentId, searches);
    const unasked = missing.filter((id) => !searches.some((s) => s.ids.has(id)));
    if (unasked.length > 0) {
      const entry: ServerSearch = { ids: new Set(unasked), answer: undefined };
      entry.done = this.queue.read(async () =>
        this.remote.finishedTrials(await this.queue.serverExperiment(experimentId), unasked))
        .then((answer) => void (entry.answer = answer ?? new Map()));
      searches.push(entry);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([entry.done, new Promise<void>((resolve) => (timer = setTimeout(resolve, this.lookupTimeoutMs)))]);
      clearTimeout(timer);
    }
    for (const id of missing) {
      for (const search of searches) {
        const trial = search.answer?.get(id);
        if (trial) found.set(id, trial);
      }
    }
    return found;
  }

  /** The server's answers so far are forgotten: the next finishedTrials asks it again. */
  forgetServerAnswers(): void {
    this.serverFinished.clear();
  }

  /** Reaps the local store now; the server's abandoned runs are reaped in the background. */
  async reapAbandoned(experimentId: string): Promise<RunRef[]> {
    const reaped = await this.local.reapAbandoned(experimentId);
    this.queue.run(async () => this.remote.reapAbandoned(await this.queue.serverExperiment(experimentId)));
    return reaped;
  }

  /** A run of this machine's store is kept alive there; the server reaps no run of another host. */
  keepAlive(run: RunRef): () => void {
    return this.local.keepAlive(run);
  }

  /** Claims live in the local store (the write-ahead log every sweep on this machine shares). */
  claimTrial(experimentId: string, trialId: string): Promise<TrialClaim | null> {
    return this.local.claimTrial(experimentId, trialId);
  }

  trialClaimed(experimentId: string, trialId: string): boolean {
    return this.local.trialClaimed(experimentId, trialId);
  }

  /**
   * Waits at most timeoutMs for everything queued to reach the server, then reports. At the
   * deadline the queue is abandoned (in-flight requests aborted), so the report is final and the
   * process can exit; what did not make it waits for `run-sweep sync`.
   */
  drain(timeoutMs: number): Promise<UploadReport> {
    return this.queue.drain(timeoutMs);
  }

  /** Stops sending at once (Ctrl-C, a second signal); returns what reached the server. Local writes go on. */
  abandon(): UploadReport {
    return this.queue.abandon();
  }

  /**
   * The preflight check found the server unreachable: send nothing this process (no retries, no
   * waiting), keep everything for `run-sweep sync`. onRemoteFailure is not called: the caller warned.
   */
  markUnreachable(reason: string): void {
    this.queue.markUnreachable(reason);
  }

  /** what reached the server so far */
  uploadReport(): UploadReport {
    return this.queue.report();
  }

  /** the server run a local run was copied to, once created there */
  serverRun(localRunId: string): RunRef | undefined {
    return this.queue.serverRun(localRunId);
  }

  /**
   * A run another process made on the server (a queued sweep's parent, made by the submitter),
   * as a parent for runs made here: the returned ref, given as NewRun.parent, nests them under it
   * on the server. This machine's store does not hold that run; its runs name it by its server id.
   */
  adoptServerRun(localExperimentId: string, server: RunRef): RunRef {
    this.queue.adopt(server.runId, server);
    return { experimentId: localExperimentId, runId: server.runId };
  }

  private experimentName(localId: string): string {
    const known = this.names.get(localId);
    if (known !== undefined) return known;
    const exp = listExperiments(this.local.root).find((e) => e.id === localId);
    if (!exp) throw new Error(`experiment ${localId} is not in ${this.local.root}`);
    this.names.set(localId, exp.name);
    return exp.name;
  }
}
