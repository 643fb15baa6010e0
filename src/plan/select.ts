// `--only path=value`: run part of a sweep, the trials keeping the ids they have in the whole.
import { parseDocument } from 'yaml';
import { ConfigError, type ConfigIssue } from '../config/errors.js';
import { didYouMean } from '../config/suggest.js';
import { varyingPaths, type Trial } from './expand.js';
import { canonicalJson } from './trial-id.js';

/**
 * The trials whose varying values match every `path=value` (a path given twice matches either
 * value). The value is read as YAML and compared by canonical JSON, so `model.hidden_size=128`
 * matches the number 128. Throws a ConfigError, every problem at once, for a malformed argument,
 * a path the sweep does not vary, a value no trial has, or arguments no trial matches together.
 */
export function selectTrials(trials: readonly Trial[], only: readonly string[]): Trial[] {
  if (only.length === 0) return [...trials];
  const paths = varyingPaths([...trials]);
  const issues: ConfigIssue[] = [];
  const wanted = new Map<string, string[]>();
  for (const argument of only) {
    const problem = (path: string, message: string): void => {
      issues.push({ file: `--only ${argument}`, line: 0, column: 0, path, message });
    };
    const equals = argument.indexOf('=');
    const path = argument.slice(0, Math.max(equals, 0)).trim();
    if (equals <= 0 || path === '') {
      problem('', 'expected path=value, e.g. model.cell=gru');
      continue;
    }
    if (!paths.includes(path)) {
      const swept = paths.length === 0 ? 'this experiment sweeps nothing' : `the swept paths are ${paths.join(', ')}`;
      problem(path, `not swept, so there is nothing to choose${didYouMean(path, paths)}; ${swept}`);
      continue;
    }
    const text = argument.slice(equals + 1);
    const valueDoc = parseDocument(text, { prettyErrors: false });
    if (valueDoc.errors.length > 0) {
      problem(path, `value is not valid YAML: ${valueDoc.errors[0]?.message}`);
      continue;
    }
    const json = canonicalJson(valueDoc.toJS());
    const present = [...new Map(trials.map((trial) => [canonicalJson(trial.varying[path]), trial.varying[path]])).entries()];
    if (!present.some(([candidate]) => candidate === json)) {
      const shown = present.map(([candidate, value]) => (typeof value === 'string' ? value : candidate));
      problem(path, `no trial has ${path}=${text.trim()}${didYouMean(text.trim(), shown)}; its values are ${shown.join(', ')}`);
      continue;
    }
    wanted.set(path, [...(wanted.get(path) ?? []), json]);
  }
  if (issues.length > 0) throw new ConfigError(issues);

  const selected = trials.filter((trial) => [...wanted].every(([path, values]) => values.includes(canonicalJson(trial.varying[path]))));
  if (selected.length === 0) {
    const file = only.map((argument) => `--only ${argument}`).join(' ');
    throw new ConfigError([{ file, line: 0, column: 0, path: '', message: 'each value is in the sweep, but no trial has all of them together' }]);
  }
  return selected;
}
