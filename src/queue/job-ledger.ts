// The Ledger a worker gives runSweep for one job: the local sweep's SweepRecorder, with three
// differences. The sweep's parent run belongs to the submitter (so sweep-start and sweep-end are
// not recorded here, and trial runs nest under the submitter's parent); attempts are numbered by
// BullMQ's attempts (a retry is a new job attempt, not runSweep's); and the parent is set from the
// job rather than created (RecorderOptions.parent).
import type { SweepEvent } from '../scheduler/events.js';
import type { Claim, FinishedTrial, Ledger } from '../scheduler/ledger.js';
import type { Trial } from '../plan/expand.js';
import type { SweepRecorder } from '../track/sweep-recorder.js';

export class JobLedger implements Ledger {
  constructor(
    private readonly recorder: SweepRecorder,
    /** this job attempt's number, 1 for the first */
    private readonly attempt: number,
  ) {}

  reap(): Promise<number> {
    return this.recorder.reap();
  }

  finished(trials: Trial[]): Promise<Map<string, FinishedTrial>> {
    return this.recorder.finished(trials);
  }

  claim(trial: Trial): Promise<Claim | null> {
    return this.recorder.claim(trial);
  }

  record(event: SweepEvent): Promise<void> {
    const adapted = this.adapt(event);
    return adapted === null ? Promise.resolve() : this.recorder.record(adapted);
  }

  /** the event as this job's attempt, or null for the submitter's own */
  adapt(event: SweepEvent): SweepEvent | null {
    if (event.type === 'sweep-start' || event.type === 'sweep-end') return null;
    if (event.type === 'trial-start' || event.type === 'trial-end') return { ...event, attempt: this.attempt };
    return event;
  }
}
