import { isAlias, isMap, isNode, isScalar, isSeq, type Document, type LineCounter } from 'yaml';

export interface Position {
  line: number;
  column: number;
}

/** Finds where a path into the YAML's data (keys and array indices) was written in the source. */
export class SourceMap {
  constructor(
    private readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
  ) {}

  /**
   * The position of the key or the value at `segments`. A null value written as nothing (`key:`)
   * points at its key; a path that leaves the document points at the deepest node on it.
   */
  positionOf(segments: readonly string[], at: 'key' | 'value'): Position {
    let node: unknown = this.doc.contents;
    let position = this.start(node) ?? { line: 1, column: 1 };
    for (const [index, segment] of segments.entries()) {
      if (isAlias(node)) node = node.resolve(this.doc);
      let keyNode: unknown;
      let valueNode: unknown;
      if (isMap(node)) {
        const pair = node.items.find((item) => keyText(item.key) === segment);
        if (pair === undefined) return position;
        keyNode = pair.key;
        valueNode = pair.value;
      } else if (isSeq(node) && /^\d+$/.test(segment) && Number(segment) < node.items.length) {
        valueNode = node.items[Number(segment)];
      } else {
        return position;
      }
      const keyPosition = this.start(keyNode);
      const writtenValue = isScalar(valueNode) && valueNode.source === '' ? undefined : valueNode;
      const wantsKey = at === 'key' && index === segments.length - 1;
      position = (wantsKey ? keyPosition : (this.start(writtenValue) ?? keyPosition)) ?? position;
      node = valueNode;
    }
    return position;
  }

  /** The path of the mapping key that starts at `offset` in the source (how yaml reports duplicate keys). */
  keyPathAt(offset: number): string[] | undefined {
    const search = (node: unknown, prefix: string[]): string[] | undefined => {
      if (isMap(node)) {
        for (const pair of node.items) {
          const path = [...prefix, keyText(pair.key)];
          if (isNode(pair.key) && pair.key.range?.[0] === offset) return path;
          const found = search(pair.value, path);
          if (found !== undefined) return found;
        }
      } else if (isSeq(node)) {
        for (const [index, item] of node.items.entries()) {
          const found = search(item, [...prefix, String(index)]);
          if (found !== undefined) return found;
        }
      }
      return undefined;
    };
    return search(this.doc.contents, []);
  }

  /** 1-based line and column of a source offset. */
  positionAt(offset: number): Position {
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col };
  }

  private start(node: unknown): Position | undefined {
    return isNode(node) && node.range != null ? this.positionAt(node.range[0]) : undefined;
  }
}

/** A mapping key as the data sees it: `1: x` has the key '1', as in toJS(). */
function keyText(key: unknown): string {
  return String(isScalar(key) ? key.value : key);
}
