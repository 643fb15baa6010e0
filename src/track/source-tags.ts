// Tags MLflow's own clients set on every run, so the UI shows where a run came from. (The user,
// run name and parent link are added by every Tracker itself.)
import { execFileSync } from 'node:child_process';
import { dirname } from 'node:path';

export function sourceTags(experimentFile: string): Record<string, string> {
  const tags: Record<string, string> = {
    'mlflow.source.name': experimentFile,
    'mlflow.source.type': 'LOCAL',
  };
  const commit = gitCommit(dirname(experimentFile));
  if (commit) tags['mlflow.source.git.commit'] = commit;
  return tags;
}

/** The commit of the checkout the experiment file lives in, if it lives in one. */
function gitCommit(dir: string): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return null; // not a git checkout, or git is not installed
  }
}
