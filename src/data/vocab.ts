// d2l 8.2's Vocab: '<unk>' at index 0, then the tokens by descending frequency.

export const UNK = '<unk>';

export class Vocab {
  readonly tokens: readonly string[];
  readonly size: number;
  private readonly index: Map<string, number>;

  private constructor(idxToToken: string[]) {
    this.tokens = Object.freeze(idxToToken);
    this.size = idxToToken.length;
    this.index = new Map(idxToToken.map((t, i) => [t, i]));
  }

  /**
   * Ties keep first-seen order, as d2l's sorted() (stable) over a Counter (insertion-ordered) does.
   * Tokens seen fewer than minFreq times are left out and map to '<unk>'. A literal '<unk>' in the
   * text is not given a second index (d2l skips tokens already in the table).
   */
  static build(tokens: string[], minFreq: number): Vocab {
    const counts = new Map<string, number>();
    for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
    // Array.prototype.sort is stable (ES2019), and a Map iterates in insertion order.
    const byFreq = [...counts].sort((p, q) => q[1] - p[1]);
    const idxToToken = [UNK];
    for (const [token, freq] of byFreq) {
      if (freq < minFreq) break;
      if (token !== UNK) idxToToken.push(token);
    }
    return new Vocab(idxToToken);
  }

  /** Rebuild a saved vocabulary from its index → token list (index 0 must be '<unk>'). */
  static fromTokens(idxToToken: string[]): Vocab {
    if (idxToToken[0] !== UNK) throw new Error(`a vocabulary starts with '${UNK}', got '${idxToToken[0]}'`);
    if (new Set(idxToToken).size !== idxToToken.length) throw new Error('a vocabulary cannot repeat a token');
    return new Vocab([...idxToToken]);
  }

  /** The token's index; 0 ('<unk>') for a token outside the vocabulary. */
  id(token: string): number {
    return this.index.get(token) ?? 0;
  }

  token(id: number): string {
    const t = this.tokens[id];
    if (t === undefined) throw new RangeError(`token id ${id} is outside a vocabulary of ${this.size}`);
    return t;
  }

  encode(tokens: string[]): Int32Array {
    const ids = new Int32Array(tokens.length);
    for (let i = 0; i < tokens.length; i++) ids[i] = this.id(tokens[i] as string);
    return ids;
  }

  /** char level: tokens concatenated; word level: joined with single spaces. */
  decode(ids: ArrayLike<number>, level: 'char' | 'word'): string {
    const out: string[] = [];
    for (let i = 0; i < ids.length; i++) out.push(this.token(ids[i] as number));
    return out.join(level === 'char' ? '' : ' ');
  }
}
