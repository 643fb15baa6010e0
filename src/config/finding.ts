/** A problem found in the data, before it is given a place in a source file. */
export interface Finding {
  /** object keys and array indices leading to the offending node */
  path: string[];
  /** point at the key, the value, or (for a missing key) the mapping that lacks it */
  at: 'key' | 'value' | 'parent';
  message: string;
}
