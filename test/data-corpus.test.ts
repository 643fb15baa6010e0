import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CorpusError, loadCorpusText } from '../src/data/corpus.js';

test('moby-dick loads offline from the npm package, parts in file_list.json order', async () => {
  const text = await loadCorpusText('moby-dick', '/nonexistent');
  assert.ok(text.startsWith('CONTENTS'), 'starts with the table of contents');
  assert.ok(text.includes('CHAPTER 1. Loomings.\n\nCall me Ishmael.'));
  assert.ok(text.indexOf('CHAPTER 2. The Carpet-Bag.') > text.indexOf('CHAPTER 1. Loomings.'));
  assert.ok(text.trimEnd().endsWith('only found another orphan.'), 'ends with the epilogue');
  assert.ok(text.length > 1_200_000);
});

test('a path is read relative to the experiment directory, or as given when absolute', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'run-sweep-corpus-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(path.join(dir, 'texts'));
  await writeFile(path.join(dir, 'texts', 'tiny.txt'), 'caf\u00e9 \u{1F600}\n');
  assert.equal(await loadCorpusText('texts/tiny.txt', dir), 'caf\u00e9 \u{1F600}\n');
  assert.equal(await loadCorpusText(path.join(dir, 'texts', 'tiny.txt'), '/elsewhere'), 'caf\u00e9 \u{1F600}\n');
});

test('corpus errors name the absolute path and the problem', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'run-sweep-corpus-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await assert.rejects(loadCorpusText('missing.txt', dir), (err: unknown) => {
    assert.ok(err instanceof CorpusError);
    assert.equal(err.message, `corpus file not found: ${path.join(dir, 'missing.txt')}`);
    return true;
  });
  await writeFile(path.join(dir, 'latin1.txt'), Buffer.from([0x63, 0x61, 0x66, 0xe9]));
  await assert.rejects(loadCorpusText('latin1.txt', dir), (err: unknown) => {
    assert.ok(err instanceof CorpusError);
    assert.match(err.message, /not valid UTF-8: .*latin1\.txt/);
    return true;
  });
  await assert.rejects(loadCorpusText('.', dir), /is a directory/);
});
