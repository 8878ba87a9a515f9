// The assertion every command-line test of a usage error makes: exit 2, the reason, then the usage.
import { expect } from "bun:test";

export function expectUsageError(r: { exitCode: number | null; stderr: Buffer | Uint8Array | string }, reason: string, usage: string): void {
  expect(r.exitCode).toBe(2);
  const err = r.stderr.toString();
  expect(err).toContain(reason);
  expect(err).toContain(usage);
}
