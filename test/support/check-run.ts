// `run-sweep check` through the real command: the options a test gives, as argv.
import type { CheckOptions } from '../../src/commands/check.js';
import { runCli, type CliResult } from './cli.js';

export function runCheck(options: Partial<CheckOptions> & { file: string; baseline: string }, cwd: string, env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const args = ['check', options.file, '--baseline', options.baseline];
  for (const s of options.set ?? []) args.push('--set', s);
  for (const o of options.only ?? []) args.push('--only', o);
  const flags: [keyof CheckOptions, string][] = [
    ['rerun', '--rerun'], ['updateBaseline', '--update-baseline'], ['allowMissing', '--allow-missing'],
    ['allowNew', '--allow-new'], ['allowDataChange', '--allow-data-change'], ['perTrial', '--per-trial'],
  ];
  for (const [key, flag] of flags) if (options[key] === true) args.push(flag);
  if (options.junit) args.push('--junit', options.junit);
  if (options.markdown) args.push('--markdown', options.markdown);
  if (options.trackingUri) args.push('--tracking-uri', options.trackingUri);
  if (options.workers) args.push('--workers', String(options.workers));
  // Quiet unless a test asks otherwise: the verdict table and summary are what tests read.
  const output = options.output ?? 'quiet';
  if (output !== 'auto') args.push(`--${output}`);
  return runCli(args, cwd, env);
}

/**
 * Whether text is well-formed XML (elements nest and close, attributes quoted, entities known): a
 * small checker, since no XML parser is among the dependencies. Returns the problem, or undefined.
 */
export function xmlProblem(text: string): string | undefined {
  let rest = text.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  let roots = 0;
  const badText = (t: string): boolean => /&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);)/i.test(t) || t.includes('<');
  while (rest.length > 0) {
    const lt = rest.indexOf('<');
    const chunk = lt < 0 ? rest : rest.slice(0, lt);
    if (badText(chunk)) return `bad character data: ${chunk.slice(0, 40)}`;
    if (stack.length === 0 && chunk.trim() !== '') return 'text outside the root element';
    if (lt < 0) break;
    rest = rest.slice(lt);
    const close = /^<\/([A-Za-z_][\w.-]*)\s*>/.exec(rest);
    if (close) {
      if (stack.pop() !== close[1]) return `</${close[1]}> closes nothing open`;
      rest = rest.slice(close[0].length);
      continue;
    }
    const open = /^<([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/.exec(rest);
    if (!open) return `malformed tag at: ${rest.slice(0, 40)}`;
    const names = [...open[2]!.matchAll(/([A-Za-z_][\w.-]*)\s*=\s*("([^"]*)"|'([^']*)')/g)];
    if (new Set(names.map((n) => n[1])).size !== names.length) return `repeated attribute in <${open[1]}>`;
    for (const n of names) if (badText(n[3] ?? n[4] ?? '')) return `bad attribute value in <${open[1]}>`;
    if (stack.length === 0 && ++roots > 1) return 'more than one root element';
    if (open[3] !== '/') stack.push(open[1]!);
    rest = rest.slice(open[0].length);
  }
  return stack.length > 0 ? `<${stack.at(-1)}> never closed` : roots === 1 ? undefined : 'no root element';
}
