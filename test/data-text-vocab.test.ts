import { test } from 'node:test';
import assert from 'node:assert/strict';
import { letterLines, normalizeText, textTokens, tokenize } from '../src/data/text.js';
import { Vocab } from '../src/data/vocab.js';

// Produced with /usr/bin/python3 by applying d2l's read_time_machine body to this string:
//   lines = io.StringIO(RAW, newline=None).readlines()   # what open(path, 'r').readlines() does
//   ''.join(re.sub('[^A-Za-z]+', ' ', l).strip().lower() for l in lines)   (and without .lower())
const RAW = "Hello, World!\r\nIt's  caf\u00e9 time\u2014now\rNext\n\n  --  \nlast line 42";
const LETTERS_LOWER = 'hello worldit s caf time nownextlast line';
const LETTERS_KEEP = 'Hello WorldIt s caf time nowNextlast line';

test("'letters' is d2l's read_time_machine, lines joined with nothing", () => {
  assert.equal(normalizeText(RAW, { normalize: 'letters', lowercase: true }), LETTERS_LOWER);
  assert.equal(normalizeText(RAW, { normalize: 'letters', lowercase: false }), LETTERS_KEEP);
  assert.deepEqual(letterLines('a\rb\r\nc\nd', false), ['a', 'b', 'c', 'd']);
  // an astral character is one non-letter run, as in Python
  assert.equal(normalizeText('x\u{1F600}\u{1F600}y', { normalize: 'letters', lowercase: false }), 'x y');
});

test("'none' keeps the text, lowercased on request", () => {
  assert.equal(normalizeText(RAW, { normalize: 'none', lowercase: false }), RAW);
  assert.equal(normalizeText('Ab, C\u00c9!', { normalize: 'none', lowercase: true }), 'ab, c\u00e9!');
});

test('char tokens are code points; word tokens are whitespace-separated', () => {
  assert.deepEqual(tokenize('a\u{1F600}b', 'char'), ['a', '\u{1F600}', 'b']);
  assert.deepEqual(tokenize('', 'char'), []);
  assert.deepEqual(tokenize('  the\ttime \n machine ', 'word'), ['the', 'time', 'machine']);
  assert.deepEqual(tokenize(' \n ', 'word'), []);
});

test("word level with 'letters' splits each line on its own, as d2l's tokenize(lines, 'word')", () => {
  const opts = { normalize: 'letters', lowercase: true, level: 'word' } as const;
  assert.deepEqual(textTokens('The end.\nIt began', opts), ['the', 'end', 'it', 'began']);
  assert.deepEqual(textTokens('The end.\nIt began', { ...opts, level: 'char' }).join(''), 'the endit began');
});

test('vocab: <unk> first, then descending frequency, ties in first-seen order', () => {
  const v = Vocab.build(['c', 'b', 'a', 'b', 'a', 'd', 'a', 'b', 'e'], 0);
  // counts: b 3, a 3, c 1, d 1, e 1 -> b before a (seen first), then c, d, e
  assert.deepEqual(v.tokens, ['<unk>', 'b', 'a', 'c', 'd', 'e']);
  assert.equal(v.size, 6);
  assert.equal(v.id('a'), 2);
  assert.equal(v.token(3), 'c');
});

test('vocab: min_freq drops rare tokens, which then map to <unk> (0)', () => {
  const v = Vocab.build(['x', 'y', 'x', 'z', 'y', 'x', 'w'], 2);
  assert.deepEqual(v.tokens, ['<unk>', 'x', 'y']);
  assert.equal(v.id('z'), 0);
  assert.equal(v.id('never seen'), 0);
  assert.deepEqual(Array.from(v.encode(['y', 'w', 'x'])), [2, 0, 1]);
});

test('vocab: a literal <unk> token keeps index 0', () => {
  const v = Vocab.build(['<unk>', '<unk>', 'a'], 0);
  assert.deepEqual(v.tokens, ['<unk>', 'a']);
  assert.equal(v.id('<unk>'), 0);
});

test('vocab: encode/decode round trip at char and word level; fromTokens reloads', () => {
  const chars = tokenize('hello world', 'char');
  const cv = Vocab.build(chars, 0);
  assert.equal(cv.decode(cv.encode(chars), 'char'), 'hello world');
  const words = tokenize('the cat saw the dog', 'word');
  const wv = Vocab.build(words, 0);
  assert.equal(wv.decode(wv.encode(words), 'word'), 'the cat saw the dog');
  const again = Vocab.fromTokens([...wv.tokens]);
  assert.deepEqual(again.tokens, wv.tokens);
  assert.deepEqual(again.encode(words), wv.encode(words));
  assert.throws(() => Vocab.fromTokens(['a', '<unk>']), /starts with '<unk>'/);
  assert.throws(() => Vocab.fromTokens(['<unk>', 'a', 'a']), /repeat/);
  assert.throws(() => wv.token(wv.size), RangeError);
});
