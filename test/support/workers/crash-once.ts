// A trial worker that dies the first time it is given a trial (as a worker killed by the OS
// would), then trains for real: what sweep.retries is for.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import trainTrial from '../../../src/scheduler/worker.js';
import type { TrialTask } from '../../../src/scheduler/messages.js';

export default async function crashOnce(task: TrialTask): Promise<void> {
  const marker = join(process.env.RUN_SWEEP_TEST_MARKERS ?? '/tmp', `crashed-${task.trialId}`);
  if (!existsSync(marker)) {
    writeFileSync(marker, '');
    process.exit(3); // ends this worker thread only
  }
  return trainTrial(task);
}
