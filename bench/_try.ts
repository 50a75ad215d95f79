import { build } from "esbuild";
const r = await build({ entryPoints: ["workers/src/index.ts"], bundle: true, write: false, minify: true, format: "esm", platform: "neutral", conditions: ["workerd","worker","browser","import"], mainFields: ["module","main"], external: ["cloudflare:*","node:*"], metafile: true, logLevel: "error" });
const out = Object.values(r.metafile.outputs)[0]!;
const by: Record<string, number> = {};
for (const [f, i] of Object.entries(out.inputs)) { const m = /(.*node_modules\/zod)\/(v4\/)?([^/]+\/)?([^/]+\/)?/.exec(f); if (m) { const k = m[0]; by[k] = (by[k] ?? 0) + i.bytesInOutput; } }
console.log(Object.entries(by).sort((a, b) => b[1] - a[1]).slice(0, 12));
