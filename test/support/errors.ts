// The error assertion every validation test uses: fn throws a SparsedError with this code and message.
import { expect } from "bun:test";
import { SparsedError, type SparsedErrorCode } from "../../src/errors";

export function expectInvalid(fn: () => unknown, message: RegExp, code: SparsedErrorCode = "INVALID"): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(SparsedError);
  expect((err as SparsedError).code).toBe(code);
  expect((err as Error).message).toMatch(message);
}
