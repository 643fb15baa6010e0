import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { leafPaths } from '../src/config/schema.js';
import { withConfigReference } from '../src/report/config-reference.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

test("the README's config reference is what the schema generates (run `npm run docs`)", () => {
  assert.equal(readme, withConfigReference(readme));
});

test('the config reference names every key the schema knows', () => {
  for (const dotted of leafPaths()) assert.ok(readme.includes(`| \`${dotted}\` |`), dotted);
});

test('the README shows the install, main and test commands', () => {
  for (const command of ['npm ci', 'npx run-sweep experiments/cell-comparison.yaml', 'npm test']) {
    assert.ok(readme.includes(command), command);
  }
});
