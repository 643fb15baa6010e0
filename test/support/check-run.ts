// Runs `run-sweep check` as a child process through test/support/check-cli.ts (the command's argv
// wiring is the lead's; this calls checkCommand with the options it would parse).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CheckOptions } from '../../src/cli/check.js';
import type { CliResult } from './cli.js';

const SCRIPT = fileURLToPath(new URL('./check-cli.js', import.meta.url));

export function runCheck(options: Partial<CheckOptions> & { file: string; baseline: string }, cwd: string, env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SCRIPT, JSON.stringify(options)], {
      cwd,
      env: { ...process.env, MLFLOW_TRACKING_URI: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
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
