// `npm run docs`: rewrites the README's config reference from the schema.
import { readFileSync, writeFileSync } from 'node:fs';
import { withConfigReference } from '../src/report/config-reference.js';

const readme = new URL('../../README.md', import.meta.url);
writeFileSync(readme, withConfigReference(readFileSync(readme, 'utf8')));
