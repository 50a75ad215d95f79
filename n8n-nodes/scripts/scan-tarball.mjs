// Runs @n8n/scan-community-package's own checks offline: its ESLint analysis of the packed
// tarball (every .js and package.json, as n8n's scanner lints a published version) and of the
// shippable sources. The scanner's CLI needs a published version with npm provenance; these are
// the same `analyzePackage` checks it then runs. Start it through `npm run scan`.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
// `npm exec --package=@n8n/scan-community-package` puts the scanner's bin folder on PATH.
const bin = (process.env.PATH ?? "").split(delimiter).find((dir) => dir.includes("_npx") && dir.endsWith(".bin"));
if (!bin) throw new Error("run through `npm run scan` (npm exec provides the scanner)");
const scanner = await import(
  pathToFileURL(join(dirname(bin), "@n8n", "scan-community-package", "scanner", "scanner.mjs")).href
);

if (!existsSync(join(root, "dist", "nodes"))) throw new Error("no dist/: run `npm run build` first");
const work = mkdtempSync(join(tmpdir(), "parkbridge-scan-"));
try {
  execFileSync("npm", ["pack", "--pack-destination", work], { cwd: root, stdio: "ignore" });
  const tarball = readdirSync(work).find((name) => name.endsWith(".tgz"));
  const unpacked = join(work, "package");
  execFileSync("tar", ["-xzf", join(work, tarball)], { cwd: work });
  const results = [
    ["tarball", await scanner.analyzePackage(unpacked, ["**/*.js", "package.json"])],
    ["sources", await scanner.analyzePackage(root, scanner.SOURCE_FILE_PATTERNS)],
  ];
  let failed = false;
  for (const [what, result] of results) {
    console.log(
      `${result.passed ? "passed" : "FAILED"}: scanner checks on the ${what}${result.message ? ` (${result.message})` : ""}`,
    );
    if (!result.passed) {
      failed = true;
      if (result.details) console.log(result.details);
    }
  }
  process.exit(failed ? 1 : 0);
} finally {
  rmSync(work, { recursive: true, force: true });
}
