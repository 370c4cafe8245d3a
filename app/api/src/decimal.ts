// Numbers that arrive as text (query parameters, environment variables). Number() and z.coerce.number() also
// take '0x1', '0b1', '0o1', 'Infinity' and ' 1 ': a typo becomes a valid value that silently changes the result.
import { z } from 'zod';

/** Base-10, optionally signed, with an optional fraction and exponent: 0.5, .5, -2, 40e6. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** A decimal number written as text, refused with `message` otherwise; pipe it into the number's bounds. */
export const decimalNumber = (message: string) =>
  z.string().regex(DECIMAL, { error: message }).transform(Number);
