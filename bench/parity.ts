// Parity with the PyTorch reference (issue 3): trains each cell of experiments/d2l-timemachine.yaml
// (seed 0) and compares its training perplexity with ../shared/reference/d2l-curves.json, the
// reference's per-epoch perplexity over seeds 0-2. A value passes when it lies in the reference's
// range over seeds at that epoch, widened by 10%: [min·0.9, max·1.1].
//
//   npm run build && node dist/bench/parity.js [epochs=100] [cell...]
//
// Reads The Time Machine from ../shared/data/timemachine.txt. test/engine-parity.test.ts runs a
// short version of the same comparison.

import type { Cell } from '../src/config/types.js';
import type { EpochEvent } from '../src/train/events.js';
import { referenceBand, trainD2l } from './reference.js';

async function main(): Promise<void> {
  const [epochArg, ...cellArgs] = process.argv.slice(2);
  const epochs = Number(epochArg ?? 100);
  const cells = (cellArgs.length > 0 ? cellArgs : ['rnn', 'gru', 'lstm']) as Cell[];
  const checkpoints = [10, 25, 50, 100].filter((e) => e <= epochs);
  let failures = 0;
  const lines = ['| cell | epoch | reference range | widened 10% | ours | pass |', '|---|---|---|---|---|---|'];
  const speeds: string[] = [];
  for (const cell of cells) {
    const { epochs: curve, result } = await trainD2l(cell, epochs);
    for (const epoch of checkpoints) {
      const band = referenceBand(cell, epoch);
      const ours = (curve[epoch - 1] as EpochEvent).trainPerplexity;
      const pass = ours >= band.low && ours <= band.high;
      if (!pass) failures++;
      lines.push(
        `| ${cell} | ${epoch} | ${band.min.toFixed(2)}–${band.max.toFixed(2)} | ${band.low.toFixed(2)}–${band.high.toFixed(2)} | ${ours.toFixed(2)} | ${pass ? 'yes' : 'NO'} |`,
      );
    }
    speeds.push(`${cell}: ${result.tokensPerSecond.toFixed(0)} tokens/s (mean over ${result.epochs} epochs); sample: ${result.samples[0]?.text ?? ''}`);
    console.error(`${cell} done`);
  }
  console.log(lines.join('\n'));
  console.log(speeds.join('\n'));
  process.exitCode = failures > 0 ? 1 : 0;
}

await main();
