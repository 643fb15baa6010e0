// Raw text → normalised text → tokens, as d2l 8.2 does it.

export interface NormalizeOptions {
  /** 'letters': d2l's read_time_machine; 'none': the text as it is */
  normalize: 'none' | 'letters';
  lowercase: boolean;
}

/**
 * d2l's read_time_machine, one entry per line: `re.sub('[^A-Za-z]+', ' ', line).strip()`, then
 * `.lower()` when asked. Lines are split as Python's text-mode readlines() splits them: universal
 * newlines turn '\r\n' and a lone '\r' into '\n' first, which matters here because the lines are
 * later joined with nothing between them ("a\rb" is two lines, "ab", not one line, "a b").
 */
export function letterLines(raw: string, lowercase: boolean): string[] {
  return raw
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => {
      // Without the u flag the regex sees UTF-16 code units; a surrogate pair is two non-letters
      // in a row and collapses into one space, as the code point does in Python.
      const letters = line.replace(/[^A-Za-z]+/g, ' ').replace(/^ +| +$/g, '');
      return lowercase ? letters.toLowerCase() : letters;
    });
}

/**
 * The text a char-level corpus is made of. 'letters' is d2l's read_time_machine +
 * load_corpus_time_machine: the lines of letterLines joined with nothing between them.
 */
export function normalizeText(raw: string, opts: NormalizeOptions): string {
  if (opts.normalize === 'letters') return letterLines(raw, opts.lowercase).join('');
  return opts.lowercase ? raw.toLowerCase() : raw;
}

/** char: one token per code point (a surrogate pair stays one token); word: whitespace-separated. */
export function tokenize(text: string, level: 'char' | 'word'): string[] {
  if (level === 'char') return Array.from(text);
  const trimmed = text.trim();
  return trimmed === '' ? [] : trimmed.split(/\s+/);
}

/**
 * The token stream of a text under one normalisation. For word level with 'letters', d2l splits
 * each line into words on its own (tokenize(lines, 'word')), so a line break separates words; joining
 * the lines with nothing first would glue the last word of a line to the first of the next.
 */
export function textTokens(raw: string, opts: NormalizeOptions & { level: 'char' | 'word' }): string[] {
  if (opts.level === 'word' && opts.normalize === 'letters') {
    return letterLines(raw, opts.lowercase).flatMap((line) => tokenize(line, 'word'));
  }
  return tokenize(normalizeText(raw, opts), opts.level);
}
