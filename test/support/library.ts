// Tests that load the library build it first when generated/ has none (CI starts from a clean clone);
// an existing build, whatever its variant set, is used as it is.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { generate, readManifest } from "../../codegen/build";
import { DEFAULT_GENCODES } from "../../codegen/cli";
import { GENERATED, LIBRARY_NAME } from "../../codegen/paths";
import { expandVariants } from "../../codegen/variants";

export async function ensureLibrary(): Promise<void> {
  if (readManifest() && existsSync(join(GENERATED, LIBRARY_NAME))) return;
  await generate(expandVariants(), { gencodes: DEFAULT_GENCODES, log: (l) => console.log(`ensureLibrary: ${l}`) });
}
