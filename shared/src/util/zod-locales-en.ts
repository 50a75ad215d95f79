/**
 * Stands in for zod's locales index (`zod/v4/locales/index.js`) when the Worker and the n8n
 * package are bundled, so they ship zod's English error messages only. Nothing imports it by
 * name: wrangler.toml's `[alias]` swaps it in for the Worker, n8n-nodes/scripts/bundle.mjs for
 * the n8n package (bench/lib/worker.ts follows wrangler.toml).
 *
 * Why: zod's classic entry re-exports every locale, ~50 languages (`z.locales`, `z.core.locales`),
 * and esbuild keeps them all (about 260 kB minified) as soon as the `z` namespace is used as a
 * value, which @hono/zod-openapi does (`extendZodWithOpenApi(z)`; zod issue #5665). We write our
 * own English messages and never call `z.config(z.locales.xx())`. zod registers English itself
 * (zod/v4/classic/schemas.js imports locales/en.js directly), so messages are unchanged; only
 * `z.locales` shrinks to `{ en }` in the bundles. test/build/bundle.test.ts fails if the other
 * locales come back.
 */
export { default as en } from "zod/v4/locales/en.js";
