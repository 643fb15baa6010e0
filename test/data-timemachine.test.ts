import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DataConfig } from '../src/config/types.js';
import { CorpusError, loadCorpusText, TIMEMACHINE_SHA1, timeMachineCachePath } from '../src/data/corpus.js';
import { prepareDataset } from '../src/data/dataset.js';
import { normalizeText } from '../src/data/text.js';

// compiled to <root>/dist*/test/: the project root is two levels up
const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SHARED_FILE = path.resolve(projectRoot, '..', 'shared', 'data', 'timemachine.txt');
const noShared = existsSync(SHARED_FILE) ? false : `needs ${SHARED_FILE} (../shared is absent)`;

// Golden values from d2l's pipeline, computed once with /usr/bin/python3 by importing
// ../shared/reference/d2l_reference.py and running on ../shared/data/timemachine.txt:
//   corpus, vocab = load_corpus_time_machine(path, 10000)   -> len(vocab), vocab.idx_to_token, corpus[:50]
//   full, _ = load_corpus_time_machine(path, -1)            -> len(full), full[-10:]
//   ''.join(read_time_machine(path))                        -> its length and first 80 characters
//   toks = tokenize(read_time_machine(path), 'word'); Vocab(toks, min_freq=3) -> len, idx_to_token[:10]
const D2L = {
  vocabSize: 28,
  tokens: ['<unk>', ...' etainoshrdlmucfwgypbvkxzjq'],
  first50: [3, 9, 2, 1, 3, 5, 13, 2, 1, 13, 4, 15, 9, 5, 6, 2, 1, 21, 19, 1, 9, 1, 18, 1, 17, 2, 12, 12, 8, 5, 3, 9,
    2, 1, 3, 5, 13, 2, 1, 3, 10, 4, 22, 2, 12, 12, 2, 10, 1, 16],
  fullLength: 170580,
  fullLast10: [2, 4, 10, 3, 7, 16, 1, 13, 4, 6],
  head80: 'the time machine by h g wellsithe time traveller for so it will be convenient to',
  wordVocabSize: 1420,
  wordFirst10: ['<unk>', 'the', 'i', 'and', 'of', 'a', 'to', 'was', 'in', 'that'],
  wordTokens: 32775,
};

const d2lSetup: DataConfig = {
  corpus: 'timemachine',
  level: 'char',
  max_tokens: 10000,
  validation_fraction: 0,
  min_freq: 0,
  lowercase: true,
  normalize: 'letters',
};

function setEnv(t: TestContext, vars: Record<string, string | undefined>): void {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (v: Record<string, string | undefined>): void => {
    for (const [k, val] of Object.entries(v)) {
      if (val === undefined) delete process.env[k];
      else process.env[k] = val;
    }
  };
  apply(vars);
  t.after(() => apply(saved));
}

/** A one-file HTTP server on 127.0.0.1 that counts its requests. */
async function serve(t: TestContext, status: number, body: Uint8Array): Promise<{ url: string; hits: () => number }> {
  let hits = 0;
  const server = createServer((_req, res) => {
    hits++;
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/timemachine.txt`, hits: () => hits };
}

async function tempCache(t: TestContext): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'run-sweep-cache-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test("d2l's setup reproduces the reference vocabulary and corpus ids exactly", { skip: noShared }, async () => {
  const raw = await readFile(SHARED_FILE, 'utf8');
  const text = normalizeText(raw, { normalize: 'letters', lowercase: true });
  assert.equal(text.length, D2L.fullLength);
  assert.equal(text.slice(0, 80), D2L.head80);

  const d = prepareDataset(raw, d2lSetup);
  assert.equal(d.vocab.size, D2L.vocabSize);
  assert.deepEqual(d.vocab.tokens, D2L.tokens);
  assert.equal(d.train.length, 10000);
  assert.deepEqual(Array.from(d.train.subarray(0, 50)), D2L.first50);
  assert.equal(d.val.length, 0);

  const full = prepareDataset(raw, { ...d2lSetup, max_tokens: null });
  assert.equal(full.train.length, D2L.fullLength);
  assert.deepEqual(Array.from(full.train.subarray(-10)), D2L.fullLast10);

  const words = prepareDataset(raw, { ...d2lSetup, level: 'word', min_freq: 3, max_tokens: null });
  assert.equal(words.vocab.size, D2L.wordVocabSize);
  assert.deepEqual(words.vocab.tokens.slice(0, 10), D2L.wordFirst10);
  assert.equal(words.train.length, D2L.wordTokens);
});

test('RUN_SWEEP_TIMEMACHINE names a local copy', { skip: noShared }, async (t) => {
  setEnv(t, { RUN_SWEEP_TIMEMACHINE: SHARED_FILE, RUN_SWEEP_DATA_URL: 'http://127.0.0.1:9/never-fetched' });
  assert.equal(await loadCorpusText('timemachine', '/nonexistent'), await readFile(SHARED_FILE, 'utf8'));
});

test('RUN_SWEEP_TIMEMACHINE naming a missing file is an error with its absolute path', async (t) => {
  const cache = await tempCache(t);
  setEnv(t, { RUN_SWEEP_TIMEMACHINE: path.join(cache, 'nope.txt') });
  await assert.rejects(loadCorpusText('timemachine', '/'), {
    name: 'CorpusError',
    message: `corpus file not found: ${path.join(cache, 'nope.txt')}`,
  });
});

test('RUN_SWEEP_TIMEMACHINE naming another text is refused: the name timemachine stands for d2l\'s bytes in trial ids', async (t) => {
  const cache = await tempCache(t);
  const other = path.join(cache, 'other.txt');
  await writeFile(other, 'not the time machine at all\n');
  setEnv(t, { RUN_SWEEP_TIMEMACHINE: other });
  await assert.rejects(loadCorpusText('timemachine', '/'), {
    name: 'CorpusError',
    message: /RUN_SWEEP_TIMEMACHINE=.*other\.txt is not d2l's timemachine\.txt \(SHA-1 [0-9a-f]{40}, expected 090b5e7e.*set data\.corpus to its path/,
  });
});

test('downloads once, verifies the SHA-1, caches atomically, then reads the cache', { skip: noShared }, async (t) => {
  const bytes = await readFile(SHARED_FILE);
  const server = await serve(t, 200, bytes);
  const cache = await tempCache(t);
  setEnv(t, { RUN_SWEEP_TIMEMACHINE: undefined, RUN_SWEEP_DATA_URL: server.url, XDG_CACHE_HOME: cache });
  const cachePath = timeMachineCachePath();
  assert.equal(cachePath, path.join(cache, 'run-sweep', 'timemachine.txt'));

  const first = await loadCorpusText('timemachine', '/');
  assert.equal(first, bytes.toString('utf8'));
  assert.deepEqual(await readFile(cachePath), bytes);
  assert.deepEqual(await readdir(path.dirname(cachePath)), ['timemachine.txt'], 'no temp file left behind');

  const second = await loadCorpusText('timemachine', '/');
  assert.equal(second, first);
  assert.equal(server.hits(), 1, 'the second load came from the cache');
});

test('a download with the wrong SHA-1 is an error naming both hashes, and nothing is cached', async (t) => {
  const server = await serve(t, 200, Buffer.from('The Time Machine, by H. G. Wells [1898]\n(truncated)\n'));
  const cache = await tempCache(t);
  setEnv(t, { RUN_SWEEP_TIMEMACHINE: undefined, RUN_SWEEP_DATA_URL: server.url, XDG_CACHE_HOME: cache });
  await assert.rejects(loadCorpusText('timemachine', '/'), (err: unknown) => {
    assert.ok(err instanceof CorpusError);
    assert.match(err.message, new RegExp(`SHA-1 [0-9a-f]{40}, expected ${TIMEMACHINE_SHA1}`));
    assert.match(err.message, /RUN_SWEEP_TIMEMACHINE/);
    return true;
  });
  assert.equal(existsSync(path.join(cache, 'run-sweep')), false);
});

test('a failed download says why and how to work around it', async (t) => {
  const cache = await tempCache(t);
  const notFound = await serve(t, 404, Buffer.from('no such key'));
  setEnv(t, { RUN_SWEEP_TIMEMACHINE: undefined, RUN_SWEEP_DATA_URL: notFound.url, XDG_CACHE_HOME: cache });
  await assert.rejects(loadCorpusText('timemachine', '/'), (err: unknown) => {
    assert.ok(err instanceof CorpusError);
    assert.match(err.message, /could not download http:\/\/127\.0\.0\.1:\d+\/timemachine\.txt \(HTTP 404/);
    assert.match(err.message, /set RUN_SWEEP_TIMEMACHINE/);
    return true;
  });
  // a port that was just freed: the connection is refused
  const gone = createServer();
  await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
  const port = (gone.address() as AddressInfo).port;
  await new Promise<void>((resolve) => gone.close(() => resolve()));
  setEnv(t, { RUN_SWEEP_DATA_URL: `http://127.0.0.1:${port}/timemachine.txt` });
  await assert.rejects(loadCorpusText('timemachine', '/'), /could not download .*ECONNREFUSED.*RUN_SWEEP_TIMEMACHINE/);
  assert.equal(existsSync(path.join(cache, 'run-sweep', 'timemachine.txt')), false);
});
