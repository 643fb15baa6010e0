import { readFileSync } from 'node:fs';
import { redactText } from '../track/secrets.js';

/** The process's surroundings, passed in so commands can be run from tests. */
export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** stdout when it is a terminal (the live view draws on it), else undefined */
  tty?: NodeJS.WriteStream;
}

/**
 * Every line the command prints passes through here, with credentials removed: a password in a
 * tracking URI (or the token and password from the environment) never reaches the console,
 * whatever message carried it.
 */
export function processIo(): Io {
  // A closed pipe (`run-sweep x.yaml | head`) must not kill a sweep that is still recording runs.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
    });
  }
  const env = process.env;
  const secrets = [env.MLFLOW_TRACKING_TOKEN, env.MLFLOW_TRACKING_PASSWORD].filter((s): s is string => !!s && s.length >= 3);
  const clean = (line: string): string => redactText(line, secrets);
  return {
    out: (line) => process.stdout.write(`${clean(line)}\n`),
    err: (line) => process.stderr.write(`${clean(line)}\n`),
    cwd: process.cwd(),
    env,
    ...(process.stdout.isTTY ? { tty: process.stdout } : {}),
  };
}

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
