// After `n8n-node build` (tsc + icons), re-bundle every node and credential entry so the
// package has no runtime dependencies: @parkbridge/shared and zod are inlined, n8n-workflow
// stays external (the n8n instance provides it).
import { readdirSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { build } from "esbuild";
import { bundleOptions, entries, pkg, root } from "./bundle-options.mjs";

await build(bundleOptions);
// tsc's per-module output is superseded by the bundles (and would still require @parkbridge/shared).
const keep = new Set([...pkg.n8n.nodes, ...pkg.n8n.credentials].map((out) => join(root, out)));
for (const entry of readdirSync(join(root, "dist"), { recursive: true, withFileTypes: true })) {
  const path = join(entry.parentPath, entry.name);
  if (entry.isFile() && /\.(js|d\.ts|js\.map)$/.test(entry.name) && !keep.has(path)) rmSync(path);
}
for (const entry of readdirSync(join(root, "dist"), { recursive: true, withFileTypes: true }).reverse()) {
  const path = join(entry.parentPath, entry.name);
  if (entry.isDirectory() && readdirSync(path).length === 0) rmSync(path, { recursive: true });
}
console.log(`bundled ${entries.length} entries: ${entries.map((e) => relative(root, e)).join(", ")}`);
