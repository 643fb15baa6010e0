// How `extends` combines files, and which file wrote a value of the result (so an error can point there).
import { isMapping } from './paths.js';

type Json = Record<string, unknown>;

/**
 * The layers deep-merged in order, later winning: mappings merge key by key, lists and other values
 * replace. sweep.grid merges by key like any mapping, but each key's values (a list or a range) are
 * replaced whole: half of one range merged into another would be neither.
 */
export function mergeLayers(layers: readonly Json[]): Json {
  return layers.reduce<Json>((merged, layer) => merge(merged, layer, []) as Json, {});
}

function merge(base: unknown, over: unknown, at: readonly string[]): unknown {
  if (!isMapping(base) || !isMapping(over) || isGridValue(at)) return structuredClone(over);
  const merged: Json = { ...base };
  for (const [key, value] of Object.entries(over)) {
    merged[key] = Object.hasOwn(base, key) ? merge(base[key], value, [...at, key]) : structuredClone(value);
  }
  return merged;
}

function isGridValue(at: readonly string[]): boolean {
  return at.length === 3 && at[0] === 'sweep' && at[1] === 'grid';
}

/**
 * The index of the layer whose value is at `segments` in the merge, or undefined when none has it
 * (a default). The last layer that has the path wrote it: a later layer can only keep it (merging a
 * mapping around it) or replace an ancestor, and then the path would not be in the merge unless
 * that later layer had it too.
 */
export function writerOf(layers: readonly Json[], segments: readonly string[]): number | undefined {
  for (let index = layers.length - 1; index >= 0; index--) {
    if (hasPath(layers[index], segments)) return index;
  }
  return undefined;
}

function hasPath(data: unknown, segments: readonly string[]): boolean {
  let node = data;
  for (const segment of segments) {
    if (isMapping(node) && Object.hasOwn(node, segment)) node = node[segment];
    else if (Array.isArray(node) && /^\d+$/.test(segment) && Number(segment) < node.length) node = node[Number(segment)];
    else return false;
  }
  return true;
}
