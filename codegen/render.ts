// Rendering: one Handlebars template per op, strict (a missing field is an error) and unescaped
// (this is C++, not HTML). The rendered file names its template and variant in a banner.
import Handlebars from "handlebars";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { TEMPLATES } from "./paths";
import { consumerWarpgroups, hasProducer, symbolOf, variantId, type VariantConfig } from "./variants";

const compiled = new Map<string, HandlebarsTemplateDelegate>();

/** One template per op and instruction family: dense_fwd.cu.hbs (sm80), dense_fwd_sm90a.cu.hbs. */
export function templateFile(cfg: VariantConfig): string {
  return cfg.arch === "sm80" ? `${cfg.op}.cu.hbs` : `${cfg.op}_${cfg.arch}.cu.hbs`;
}

export function compileTemplate(source: string): HandlebarsTemplateDelegate {
  return Handlebars.compile(source, { noEscape: true, strict: true });
}

function templateFor(name: string): HandlebarsTemplateDelegate {
  let t = compiled.get(name);
  if (!t) {
    t = compileTemplate(readFileSync(join(TEMPLATES, name), "utf8"));
    compiled.set(name, t);
  }
  return t;
}

/** The fields a template may use; the template must not reach for anything else (strict mode). */
export function templateContext(cfg: VariantConfig) {
  const id = variantId(cfg);
  return {
    ...cfg,
    id,
    symbol: symbolOf(cfg),
    configName: `Config_${id}`,
    producer: hasProducer(cfg), // a warp-specialized sm90a kernel (attention or select)
    consumers: consumerWarpgroups(cfg), // its consumer warpgroups (select: 2 or 4)
    banner: `// GENERATED FILE: do not edit. Rendered by codegen/render.ts from templates/${templateFile(cfg)}\n// for variant ${id}; run \`bun run generate\` to regenerate.`,
  };
}

export function renderVariant(cfg: VariantConfig): string {
  return templateFor(templateFile(cfg))(templateContext(cfg));
}
