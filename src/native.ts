// The one place that opens the native library (bun:ffi). Everything else calls through `native()`.
// Every call's status is checked here and turned into a SparsedError; SPARSED_TRACE=1 logs each call.
import { dlopen, FFIType, type Pointer } from "bun:ffi";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ABI_VERSION, type Manifest, type ManifestEntry } from "../codegen/build";
import { GENERATED, LIBRARY_NAME } from "../codegen/paths";
import { SparsedError } from "./errors";

const { i32, u64, ptr, cstring, f32 } = FFIType;

const RUNTIME_SYMBOLS = {
  sparsed_last_error: { args: [], returns: cstring },
  sparsed_abi_version: { args: [], returns: i32 },
  sparsed_device_count: { args: [ptr], returns: i32 },
  sparsed_device_get: { args: [ptr], returns: i32 },
  sparsed_malloc: { args: [ptr, u64], returns: i32 },
  sparsed_free: { args: [u64], returns: i32 },
  sparsed_memcpy_htod: { args: [u64, ptr, u64], returns: i32 },
  sparsed_memcpy_dtoh: { args: [ptr, u64, u64], returns: i32 },
  sparsed_memcpy_dtod: { args: [u64, u64, u64, u64], returns: i32 },
  sparsed_memset: { args: [u64, i32, u64, u64], returns: i32 },
  sparsed_fill_uniform: { args: [u64, u64, i32, u64, f32, f32, u64], returns: i32 },
  sparsed_synchronize: { args: [], returns: i32 },
  sparsed_event_create: { args: [ptr], returns: i32 },
  sparsed_event_destroy: { args: [u64], returns: i32 },
  sparsed_event_record: { args: [u64, u64], returns: i32 },
  sparsed_event_elapsed_ms: { args: [ptr, u64, u64], returns: i32 },
  sparsed_select_block_lse: { args: [ptr, u64], returns: i32 },
} as const;

export type RuntimeFn = keyof typeof RUNTIME_SYMBOLS;
type Arg = number | bigint | NodeJS.TypedArray | Pointer | null;

export interface Native {
  readonly libraryPath: string;
  readonly manifest: Manifest;
  /** Call a runtime function; throws SparsedError on a non-zero status. */
  call(fn: RuntimeFn, ...args: Arg[]): void;
  /** Launch a generated kernel entry point by symbol with a parameter struct. */
  launch(entry: ManifestEntry, params: Uint8Array, stream: bigint): void;
  lastError(): string;
}

const trace = process.env.SPARSED_TRACE === "1";

function fmt(a: Arg): string {
  if (a && typeof a === "object" && "byteLength" in a) return `<${a.constructor.name} ${a.byteLength}B>`;
  return typeof a === "bigint" ? `0x${a.toString(16)}` : String(a);
}

let loaded: Native | undefined;

/** The library directory: SPARSED_LIB_DIR, else generated/. */
export function libraryDir(): string {
  return process.env.SPARSED_LIB_DIR ?? GENERATED;
}

export function native(): Native {
  if (loaded) return loaded;
  const dir = libraryDir();
  const libraryPath = join(dir, LIBRARY_NAME);
  const manifestPath = join(dir, "manifest.json");
  if (!existsSync(libraryPath) || !existsSync(manifestPath))
    throw new SparsedError("NOT_BUILT", `the native library is not built (${libraryPath} or its manifest.json is missing): run \`bun run generate\``);
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as Manifest;
  const kernelSymbols = Object.fromEntries(manifest.variants.map((v) => [v.symbol, { args: [ptr, u64], returns: i32 }] as const));
  let lib;
  try {
    lib = dlopen(libraryPath, { ...RUNTIME_SYMBOLS, ...kernelSymbols });
  } catch (e) {
    throw new SparsedError("NOT_BUILT", `cannot load ${libraryPath}: ${(e as Error).message}; rebuild with \`bun run generate --force\``);
  }
  const symbols = lib.symbols as unknown as Record<string, (...a: Arg[]) => number> & {
    sparsed_last_error: () => { toString(): string } | null;
    sparsed_abi_version: () => number;
  };
  const abi = symbols.sparsed_abi_version();
  if (abi !== ABI_VERSION || manifest.abiVersion !== ABI_VERSION)
    throw new SparsedError("NOT_BUILT", `ABI version mismatch (library ${abi}, manifest ${manifest.abiVersion}, this code ${ABI_VERSION}): run \`bun run generate --force\``);

  const lastError = () => String(symbols.sparsed_last_error() ?? "");
  const invoke = (name: string, args: Arg[]) => {
    const t0 = trace ? performance.now() : 0;
    const status = symbols[name]!(...args);
    if (trace) console.error(`[sparsed] ${name}(${args.map(fmt).join(", ")}) -> ${status} (${(performance.now() - t0).toFixed(3)} ms)`);
    if (status !== 0) throw SparsedError.fromNative(status, name, lastError());
  };
  loaded = {
    libraryPath,
    manifest,
    lastError,
    call: (fn, ...args) => invoke(fn, args),
    launch: (entry, params, stream) => invoke(entry.symbol, [params, stream]),
  };
  return loaded;
}
