// How scripts/bundle.mjs bundles every node and credential entry (test/build/bundle.test.ts
// bundles with the same options to check what the package ships).
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = dirname(dirname(fileURLToPath(import.meta.url)));
export const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
export const entries = [...pkg.n8n.nodes, ...pkg.n8n.credentials].map((out) =>
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

// zod's error messages in English only: zod's own import of its locales index (~50 languages,
// ~260 kB) gets a module exporting `en` alone, as wrangler.toml's [alias] does for the Worker
// (shared/src/util/zod-locales-en.ts says why).
const zodLocalesEn = {
  name: "zod-locales-en",
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer)
        ? { path: join(root, "..", "shared", "src", "util", "zod-locales-en.ts") }
        : undefined,
    );
  },
};

/** @type {import("esbuild").BuildOptions} */
export const bundleOptions = {
  entryPoints: entries,
  outdir: join(root, "dist"),
  outbase: root,
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  external: ["n8n-workflow"],
  plugins: [n8nTimers, zodLocalesEn],
  // Bundled zod keeps its registry and config in a bundle-local object rather than the
  // process-wide globalThis, so it neither reads nor changes any other zod in the n8n process.
  define: { globalThis: "__parkbridgeGlobals" },
  banner: { js: "var __parkbridgeGlobals = {};" },
  legalComments: "none",
  minifySyntax: true,
  minifyWhitespace: true,
  logLevel: "warning",
};
