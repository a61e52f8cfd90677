import { describe, expect, it } from "vitest";
import type { Validator } from "./combinators.js";

/** The message a validator throws for `value`, or `undefined` when it accepts it. */
export function failure(validator: Validator, value: string): string | undefined {
  try {
    validator(value);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** One row: a value, and the exact message expected (`undefined`: accepted). */
export type Case = [value: string, expected: string | undefined];

/** A table-driven test of one validator. */
export function table(name: string, validator: Validator, cases: Case[]): void {
  describe(name, () => {
    it.each(cases)("%j -> %s", (value, expected) => {
      expect(failure(validator, value)).toBe(expected);
    });
  });
}
