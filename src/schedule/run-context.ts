// Tags MLflow's own clients set on every run, so the UI shows who ran what from where.
import { execFileSync } from 'node:child_process';
import { userInfo } from 'node:os';

export function sourceTags(sourceName: string): Record<string, string> {
  const tags: Record<string, string> = {
    'mlflow.user': currentUser(),
    'mlflow.source.name': sourceName,
    'mlflow.source.type': 'LOCAL',
  };
  const commit = gitCommit();
  if (commit) tags['mlflow.source.git.commit'] = commit;
  return tags;
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return null; // not a git checkout, or git is not installed
  }
}
