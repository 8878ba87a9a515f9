// Every failure the library reports is a SparsedError: a status code plus a message that says what
// to do. Native failures carry the library's own message (with CUDA's text where CUDA failed).

export type SparsedErrorCode =
  | "INVALID" // bad argument: shape, dtype, stride, alignment, pointer
  | "CUDA" // a CUDA call failed
  | "NO_DEVICE" // no GPU or driver
  | "NOT_BUILT" // the library or a needed variant is not built
  | "FREED"; // a buffer was used after free()

const NATIVE_CODES: Record<number, SparsedErrorCode> = { 1: "INVALID", 2: "CUDA", 3: "NO_DEVICE" };

export class SparsedError extends Error {
  constructor(
    readonly code: SparsedErrorCode,
    message: string,
    readonly nativeStatus?: number,
  ) {
    super(message);
    this.name = "SparsedError";
  }

  static fromNative(status: number, fn: string, message: string): SparsedError {
    return new SparsedError(NATIVE_CODES[status] ?? "CUDA", `${fn}: ${message || `status ${status}`}`, status);
  }
}

export function invalid(message: string): SparsedError {
  return new SparsedError("INVALID", message);
}
