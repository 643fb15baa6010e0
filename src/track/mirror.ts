// With a server configured, every call goes to the local file store first (the write-ahead log),
// then to the server. The first server failure switches the server off for the rest of the process
// and is reported once; local writing goes on, and `run-sweep sync` later replays what the server
// lacks. Nothing measured depends on the server being up.
import type { FinishedTrial, MetricPoint, NewRun, RunRef, RunStatus, Tracker } from './tracker.js';
import type { FileStoreTracker } from './file-store.js';
import type { RestTracker } from './mlflow-rest.js';
import { LOCAL_RUN_ID_TAG } from './run-tags.js';
import { listExperiments } from './store-reader.js';

export class MirroredTracker implements Tracker {
  readonly location: string;
  private remoteUp = true;
  /** local experiment id → server experiment id */
  private readonly experiments = new Map<string, string>();
  /** local run id → server run */
  private readonly remoteRuns = new Map<string, RunRef>();

  constructor(
    readonly local: FileStoreTracker,
    readonly remote: RestTracker,
    private readonly onRemoteFailure: (err: unknown) => void = () => {},
  ) {
    this.location = `${remote.location} (local copy in ${local.location})`;
  }

  /** false once the server has failed; everything since is only in the local store */
  get remoteHealthy(): boolean {
    return this.remoteUp;
  }

  async experiment(name: string): Promise<string> {
    const id = await this.local.experiment(name);
    await this.toRemote(async () => this.experiments.set(id, await this.remote.experiment(name)));
    return id;
  }

  async createRun(experimentId: string, run: NewRun): Promise<RunRef> {
    const ref = await this.local.createRun(experimentId, run);
    await this.toRemote(async () => {
      const remoteExp = this.experiments.get(experimentId) ?? (await this.remote.experiment(this.experimentName(experimentId)));
      this.experiments.set(experimentId, remoteExp);
      const parent = run.parent && this.remoteRuns.get(run.parent.runId);
      if (run.parent && !parent) throw new Error(`parent run ${run.parent.runId} was never created on the server`);
      const remoteRef = await this.remote.createRun(remoteExp, {
        ...run, parent, tags: { ...run.tags, [LOCAL_RUN_ID_TAG]: ref.runId },
      });
      this.remoteRuns.set(ref.runId, remoteRef);
    });
    return ref;
  }

  async logMetrics(run: RunRef, metrics: MetricPoint[]): Promise<void> {
    await this.local.logMetrics(run, metrics);
    await this.onRemoteRun(run, (r) => this.remote.logMetrics(r, metrics));
  }

  async logParams(run: RunRef, params: Record<string, string>): Promise<void> {
    await this.local.logParams(run, params);
    await this.onRemoteRun(run, (r) => this.remote.logParams(r, params));
  }

  async setTags(run: RunRef, tags: Record<string, string>): Promise<void> {
    await this.local.setTags(run, tags);
    await this.onRemoteRun(run, (r) => this.remote.setTags(r, tags));
  }

  async logArtifact(run: RunRef, path: string, content: string | Uint8Array): Promise<void> {
    await this.local.logArtifact(run, path, content);
    await this.onRemoteRun(run, (r) => this.remote.logArtifact(r, path, content));
  }

  async endRun(run: RunRef, status: Exclude<RunStatus, 'RUNNING'>, endTime: number): Promise<void> {
    await this.local.endRun(run, status, endTime);
    await this.onRemoteRun(run, (r) => this.remote.endRun(r, status, endTime));
  }

  /** Local results first; trials finished only on the server (another machine's) come from it. */
  async finishedTrials(experimentId: string, trialIds: string[]): Promise<Map<string, FinishedTrial>> {
    const found = await this.local.finishedTrials(experimentId, trialIds);
    const missing = trialIds.filter((id) => !found.has(id));
    const remoteExp = this.experiments.get(experimentId);
    if (missing.length > 0 && remoteExp !== undefined) {
      await this.toRemote(async () => {
        for (const [id, trial] of await this.remote.finishedTrials(remoteExp, missing)) found.set(id, trial);
      });
    }
    return found;
  }

  async reapAbandoned(experimentId: string): Promise<RunRef[]> {
    const reaped = await this.local.reapAbandoned(experimentId);
    const remoteExp = this.experiments.get(experimentId);
    if (remoteExp !== undefined) await this.toRemote(() => this.remote.reapAbandoned(remoteExp));
    return reaped;
  }

  private experimentName(localId: string): string {
    const exp = listExperiments(this.local.root).find((e) => e.id === localId);
    if (!exp) throw new Error(`experiment ${localId} is not in ${this.local.root}`);
    return exp.name;
  }

  private async onRemoteRun(run: RunRef, call: (remote: RunRef) => Promise<unknown>): Promise<void> {
    const remote = this.remoteRuns.get(run.runId);
    if (remote) await this.toRemote(() => call(remote));
  }

  private async toRemote(call: () => Promise<unknown>): Promise<void> {
    if (!this.remoteUp) return;
    try {
      await call();
    } catch (err) {
      // Calls from several trials can fail at once: the user is told once.
      if (!this.remoteUp) return;
      this.remoteUp = false;
      this.onRemoteFailure(err);
    }
  }
}
