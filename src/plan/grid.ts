// The sweep's points, before seeds: the grid's cartesian product, less sweep.exclude, plus
// sweep.include — GitHub Actions' matrix semantics, with include never excluded.
import { getPath } from '../config/paths.js';
import type { ExperimentConfig } from '../config/types.js';
import { canonicalJson } from './trial-id.js';

export interface GridPoints {
  /** what varies, in order: the grid's keys, then keys only sweep.include sets */
  paths: string[];
  /** each point's value for each path, in the order of `paths` */
  points: unknown[][];
}

export function gridPoints(config: ExperimentConfig): GridPoints {
  const { grid, include, exclude } = config.sweep;
  const gridPaths = Object.keys(grid);
  const extraPaths = [...new Set(include.flatMap((entry) => Object.keys(entry)))].filter((path) => !gridPaths.includes(path));
  const paths = [...gridPaths, ...extraPaths];
  // A path the grid does not vary has the value set outside the grid, in every grid point.
  const outside = (path: string): unknown => getPath(config, path);

  const excluded = (point: unknown[]): boolean =>
    exclude.some((entry) => Object.entries(entry).every(([path, value]) => canonicalJson(point[gridPaths.indexOf(path)]) === canonicalJson(value)));
  const points = cartesian(gridPaths.map((path) => grid[path] ?? []))
    .filter((point) => !excluded(point))
    .map((point) => [...point, ...extraPaths.map(outside)]);

  const seen = new Set(points.map((point) => canonicalJson(point)));
  for (const entry of include) {
    const point = paths.map((path) => (Object.hasOwn(entry, path) ? entry[path] : outside(path)));
    const key = canonicalJson(point);
    if (seen.has(key)) continue;
    seen.add(key);
    points.push(point);
  }
  return { paths, points };
}

function cartesian(axes: unknown[][]): unknown[][] {
  return axes.reduce<unknown[][]>(
    (points, values) => points.flatMap((point) => values.map((v) => [...point, v])),
    [[]],
  );
}
