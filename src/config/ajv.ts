// The one Ajv instance: the whole-config validator and, per dotted path, a validator for one value
// (a grid value, a sweep.include value, an `extends`), all compiled from the schema file.
import { Ajv, type ValidateFunction } from 'ajv';
import { resolvedSchema, schemaAt, type JsonSchema } from './schema.js';

// allowUnionTypes: nullable keys are written type: [integer, null], which strict mode otherwise refuses.
const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, allowUnionTypes: true, verbose: true });

/** Validates a resolved config (no `extends`), filling in its defaults in place. */
export const validateConfig: ValidateFunction = ajv.compile(resolvedSchema);

const leafValidators = new Map<string, ValidateFunction>();

/** The schema of the key at a dotted path, e.g. `model.cell`. */
export function leafSchema(dotted: string): JsonSchema {
  const schema = schemaAt(dotted.split('.'));
  if (schema === undefined) throw new Error(`no schema for ${dotted}`);
  return schema;
}

/** A validator for one value of the key at `dotted`. */
export function leafValidator(dotted: string): ValidateFunction {
  let validate = leafValidators.get(dotted);
  if (validate === undefined) {
    // A default at a schema's root means nothing to ajv, and strict mode says so.
    const { default: _unused, ...schema } = leafSchema(dotted);
    validate = ajv.compile(schema);
    leafValidators.set(dotted, validate);
  }
  return validate;
}
