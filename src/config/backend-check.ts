// `engine.backend: tensorflow` needs a package run-sweep does not depend on: say so before training,
// wherever a trial would use it (the base value, a grid value, a sweep.include value).
import { tensorflowInstalled } from '../train/tensorflow-packages.js';
import type { Finding } from './finding.js';
import { getPath, isMapping } from './paths.js';

const MESSAGE =
  'the tensorflow backend needs @tensorflow/tfjs-node (or @tensorflow/tfjs-node-gpu), which is not installed: npm install @tensorflow/tfjs-node';

export function backendFindings(data: Record<string, unknown>, installed: () => boolean = tensorflowInstalled): Finding[] {
  const places: string[][] = [];
  const grid = getPath(data, 'sweep.grid');
  const gridValues = isMapping(grid) ? grid['engine.backend'] : undefined;
  const include = getPath(data, 'sweep.include');
  const entries = Array.isArray(include) ? include.filter(isMapping) : [];
  // The base value is used unless the grid replaces it in every grid point and every include entry sets its own.
  const baseUsed = gridValues === undefined || entries.some((entry) => !Object.hasOwn(entry, 'engine.backend'));
  if (baseUsed && getPath(data, 'engine.backend') === 'tensorflow') places.push(['engine', 'backend']);
  if (Array.isArray(gridValues)) {
    gridValues.forEach((value, index) => value === 'tensorflow' && places.push(['sweep', 'grid', 'engine.backend', String(index)]));
  }
  if (Array.isArray(include)) {
    include.forEach((entry: unknown, index) => {
      if (isMapping(entry) && entry['engine.backend'] === 'tensorflow') places.push(['sweep', 'include', String(index), 'engine.backend']);
    });
  }
  if (places.length === 0 || installed()) return [];
  return places.map((path) => ({ path, at: 'value', message: MESSAGE }));
}
