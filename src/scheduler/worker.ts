// Piscina worker entry: trains one trial per task and streams its events to the main thread.
import type { TransferListItem } from 'node:worker_threads';
import { runTrial } from '../train/trial.js';
import type { TrialMessage, TrialOutcome, TrialTask } from './messages.js';

export default async function trainTrial(task: TrialTask): Promise<TrialOutcome> {
  const post = (message: TrialMessage): void => {
    // Weights can be megabytes: move their buffers instead of copying them.
    const transfer: TransferListItem[] =
      message.type === 'weights' ? message.files.map((f) => f.data.buffer as ArrayBuffer) : [];
    task.events.postMessage(message, transfer);
  };
  try {
    return await runTrial(task.config, { baseDir: task.baseDir, onEvent: post });
  } finally {
    post({ type: 'end' });
  }
}
