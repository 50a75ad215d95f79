// After `n8n-node build` (tsc + icons), re-bundle every node and credential entry so the
// package has no runtime dependencies: @parkbridge/shared and zod are inlined, n8n-workflow
// stays external (the n8n instance provides it).
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const entries = [...pkg.n8n.nodes, ...pkg.n8n.credentials].map((out) =>
  join(root, out.replace(/^dist\//, "").replace(/\.js$/, ".ts")),
);

// Community nodes must not touch global timers: shared's timers module is swapped for n8n's.
const n8nTimers = {
  name: "n8n-timers",
  setup(b) {
    b.onResolve({ filter: /\/util\/timers\.js$/ }, (args) =>
      args.importer.includes(`${join("shared", "src")}`)
        ? { path: join(root, "nodes", "common", "timers.ts") }
        : undefined,
    );
  },
};

await build({
  entryPoints: entries,
  outdir: join(root, "dist"),
  outbase: root,
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  external: ["n8n-workflow"],
  plugins: [n8nTimers],
  // Bundled zod keeps its registry and config in a bundle-local object rather than the
  // process-wide globalThis, so it neither reads nor changes any other zod in the n8n process.
  define: { globalThis: "__parkbridgeGlobals" },
  banner: { js: "var __parkbridgeGlobals = {};" },
  legalComments: "none",
  minifySyntax: true,
  minifyWhitespace: true,
  logLevel: "warning",
});
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
