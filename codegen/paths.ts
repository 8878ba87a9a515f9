// Where codegen reads and writes, relative to the repository root (this file's parent folder).
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dir, "..");
export const TEMPLATES = join(ROOT, "templates");
export const INCLUDE = join(ROOT, "include");
export const TEMPLATE_INCLUDE = join(TEMPLATES, "include");
export const GENERATED = process.env.SPARSED_GENERATED_DIR ? resolve(process.env.SPARSED_GENERATED_DIR) : join(ROOT, "generated");
export const LIBRARY_NAME = "libsparsed.so";
