// Dotted paths ('model.cell') into a config object, as grid keys and --set name them. Schema keys
// never contain dots, so splitting on '.' is unambiguous (sweep.grid's own keys are never addressed here).

type Json = Record<string, unknown>;

export function isMapping(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value at `dotted`, or undefined when any step along the way is missing. */
export function getPath(obj: unknown, dotted: string): unknown {
  let value: unknown = obj;
  for (const key of dotted.split('.')) {
    if (!isMapping(value) || !Object.hasOwn(value, key)) return undefined;
    value = value[key];
  }
  return value;
}

/** Sets the value at `dotted`, creating missing mappings on the way; throws when a step is not a mapping. */
export function setPath(obj: Json, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  const last = keys.pop() as string;
  let target = obj;
  for (const key of keys) {
    const next = Object.hasOwn(target, key) ? target[key] : (target[key] = {});
    if (!isMapping(next)) throw new TypeError(`cannot set ${dotted}: ${key} is not a mapping`);
    target = next;
  }
  target[last] = value;
}

/** Dotted key → string value for every leaf (MLflow params): arrays and empty mappings as JSON, null as 'null'. */
export function flattenConfig(obj: object, prefix = ''): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [key, value] of Object.entries(obj)) {
    const dotted = `${prefix}${key}`;
    if (isMapping(value) && Object.keys(value).length > 0) {
      Object.assign(flat, flattenConfig(value, `${dotted}.`));
    } else {
      flat[dotted] = typeof value === 'string' ? value : JSON.stringify(value);
    }
  }
  return flat;
}
