/** Test helper: the Warden error code a call throws. */
import { WardenError } from '../../src/core/errors.js';

/** The code `fn` throws (`'not a WardenError'` for anything else), or undefined when it returns. */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof WardenError ? err.code : 'not a WardenError';
  }
  return undefined;
}
