// How long a sweep and its running trials have left, from a cost model calibrated on what the sweep
// has measured so far. Nothing is guessed before something is measured: until a trial has finished
// an epoch (or reported progress within one), every ETA is unknown (undefined, shown as "ETA …").
//
// The model:
// - an epoch of a trial costs k × paramCount × trainTokens seconds, where k (seconds per parameter
//   × token) is fitted on every epoch seen so far, of finished and of running trials alike. It is
//   measured under the sweep's own parallelism, so it already includes the workers slowing each
//   other down;
// - a running trial that has finished epochs is timed by its own mean epoch, better than k; one
//   that has not yet but has reported progress within its first epoch, by that progress;
// - a trial also spends time before its first epoch (data, vocabulary: trial-start → setup) and
//   after its last (samples, weights, recording: last epoch → trial-end), measured as means;
// - a queued trial costs k × paramCount × trainTokens × epochs when its size is known before it
//   starts (the CLI's preflight sizing, passed to the reporter: the events say a trial's size only
//   at its setup); without that, it is costed as the mean of the trials seen so far;
// - the sweep's ETA places the queued trials on the workers as they free up, each on the one that
//   frees first, and takes the last to finish.
import { type SweepState, type TrialView, trialWork } from './state.js';

/** Seconds per (parameter × training token) of one epoch, once any sized epoch has been seen. */
export function secondsPerUnit(state: SweepState): number | undefined {
  return state.epochWorkSum > 0 && state.epochSecondsSum > 0 ? state.epochSecondsSum / state.epochWorkSum : undefined;
}

function mean(values: number[]): number | undefined {
  return values.length > 0 ? values.reduce((a, b) => a + b, 0) / values.length : undefined;
}

/** The seconds one epoch of this trial takes, by the best measure there is. */
export function epochSeconds(state: SweepState, t: TrialView): number | undefined {
  if (t.epochsDone > 0 && t.epochSeconds > 0) return t.epochSeconds / t.epochsDone;
  const p = t.progress;
  const mark = t.setupTime ?? t.startTime;
  if (p && p.epoch === t.epochsDone + 1 && p.batch > 0 && p.batches > 0 && mark !== undefined && p.time > mark) {
    return (p.time - mark) / 1000 / (p.batch / p.batches);
  }
  const k = secondsPerUnit(state);
  const work = trialWork(t);
  return k !== undefined && work !== undefined ? k * work : undefined;
}

/** What a trial not yet sized is expected to take from its start to its end. */
export function typicalTrialSeconds(state: SweepState): number | undefined {
  const training: number[] = [...state.endedTrainingSeconds];
  for (const t of state.trials.values()) {
    if (t.phase !== 'running') continue;
    const perEpoch = epochSeconds(state, t);
    if (perEpoch !== undefined) training.push(perEpoch * t.ref.epochs);
  }
  const typical = mean(training);
  if (typical === undefined) return undefined;
  return (mean(state.headSeconds) ?? 0) + typical + (mean(state.tailSeconds) ?? 0);
}

/** Seconds a running trial has left at `now` (ms), or undefined when nothing measured tells. */
export function trialRemaining(state: SweepState, t: TrialView, now: number): number | undefined {
  if (t.phase !== 'running') return 0;
  const tail = mean(state.tailSeconds) ?? 0;
  const perEpoch = epochSeconds(state, t);
  if (perEpoch === undefined) {
    // not sized yet (no setup): a typical trial, less the time it has run
    const typical = typicalTrialSeconds(state);
    if (typical === undefined || t.startTime === undefined) return undefined;
    return Math.max(0, typical - (now - t.startTime) / 1000);
  }
  const mark = t.lastEpochTime ?? t.setupTime ?? t.startTime ?? now;
  const sinceMark = Math.max(0, (now - mark) / 1000);
  if (t.epochsDone >= t.ref.epochs) return Math.max(0, tail - sinceMark);
  const later = t.ref.epochs - t.epochsDone - 1;
  return Math.max(0, perEpoch - sinceMark) + later * perEpoch + tail;
}

/** Seconds until the sweep's last trial ends at `now` (ms): 0 when none is left, undefined when unknown. */
export function sweepRemaining(state: SweepState, now: number): number | undefined {
  if (state.end) return 0;
  const running = state.running;
  const queued = state.queued;
  if (running.length === 0 && queued === 0) return 0;
  const slots: number[] = [];
  for (const t of running) {
    const left = trialRemaining(state, t, now);
    if (left === undefined) return undefined;
    slots.push(left);
  }
  if (queued > 0) {
    const costs = queuedSeconds(state, queued);
    if (costs === undefined) return undefined;
    const workers = Math.max(state.workers, running.length, 1);
    while (slots.length < Math.min(workers, running.length + queued)) slots.push(0);
    for (const cost of costs) {
      let first = 0;
      for (let s = 1; s < slots.length; s++) if ((slots[s] as number) < (slots[first] as number)) first = s;
      slots[first] = (slots[first] as number) + cost;
    }
  }
  return Math.max(0, ...slots);
}

/**
 * What each of the `queued` trials still to start will take, longest first (the order the scheduler
 * starts them in): sized ones by k, the others (or all, without sizes) as a typical trial.
 */
function queuedSeconds(state: SweepState, queued: number): number[] | undefined {
  const k = secondsPerUnit(state);
  const overhead = (mean(state.headSeconds) ?? 0) + (mean(state.tailSeconds) ?? 0);
  const sized: number[] = [];
  if (state.sizes && k !== undefined) {
    for (const [id, size] of state.sizes) {
      const t = state.trials.get(id);
      if (t && t.phase !== 'retrying') continue;
      if (Number.isFinite(size.cost) && size.cost > 0) sized.push(overhead + k * size.cost);
    }
  }
  sized.sort((a, b) => b - a);
  const costs = sized.slice(0, queued);
  if (costs.length < queued) {
    const typical = typicalTrialSeconds(state);
    if (typical === undefined) return undefined;
    while (costs.length < queued) costs.push(typical);
  }
  return costs;
}
