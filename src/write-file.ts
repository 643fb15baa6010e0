// A user's file (a baseline, a report, JUnit XML) written so that it is the old file or the new one,
// never a part: a full disk or a kill mid-write must not leave a truncated baseline that every
// later check would refuse. (The store has its own, in track/store-files.ts, with MLflow's rules
// on where a temporary file may sit.)
import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';

export function writeFileWhole(file: string, content: string | Uint8Array): void {
  const tmp = `${file}.tmp-${randomBytes(4).toString('hex')}`;
  try {
    writeFileSync(tmp, content);
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
