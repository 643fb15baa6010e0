// The README's config reference, generated from the schema so the docs cannot drift from it.
import { describeSchema, experimentSchema, leafPaths, schemaAt } from '../config/schema.js';

const START = '<!-- config-reference:start -->';
const END = '<!-- config-reference:end -->';

export function renderConfigReference(): string {
  const rows = leafPaths().map((dotted) => {
    const schema = schemaAt(dotted.split('.'));
    if (schema === undefined) throw new Error(`schema has no leaf at ${dotted}`);
    const required = experimentSchema.required?.includes(dotted) ?? false;
    const fallback = required ? '*required*' : `\`${JSON.stringify(schema.default)}\``;
    return `| \`${dotted}\` | ${escape(describeSchema(schema))} | ${fallback} | ${escape(schema.description ?? '')} |`;
  });
  return [
    '## Config reference',
    '',
    'Generated from `schemas/experiment.schema.json` by `npm run docs`; a test fails when this table is stale.',
    '',
    '| key | accepts | default | meaning |',
    '|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/** The README with its config reference section replaced by a fresh rendering. */
export function withConfigReference(readme: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md lacks the ${START} … ${END} markers`);
  return `${readme.slice(0, start + START.length)}\n${renderConfigReference()}\n${readme.slice(end)}`;
}

function escape(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}
