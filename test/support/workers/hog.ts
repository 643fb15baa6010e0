// A trial worker that allocates until V8 stops it: a real out-of-memory end under resourceLimits.
import type { TrialTask } from '../../../src/scheduler/messages.js';

export default async function hog(_task: TrialTask): Promise<void> {
  const kept: number[][] = [];
  for (;;) kept.push(Array.from({ length: 1e5 }, (_v, i) => i * 1.5));
}
