/**
 * Checks of option values shared by the library's functions, in the `InvalidOptionError`
 * wording ("Expected a positive integer for batch but received 0 of type number").
 */
import { InvalidOptionError } from './errors.js';

/** Returns `value` when it is an integer ≥ 1, else throws an `InvalidOptionError` naming `option`. */
export function positiveInteger(option: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new InvalidOptionError(option, 'a positive integer', value);
  return value;
}
