/**
 * Docs use short sentences: no prose line of the READMEs or docs/ runs past 250 characters.
 * A paragraph may span lines (Markdown joins them), so a long one is split at its sentences.
 *
 * What is measured: every line outside fenced code blocks, in characters (code points, so a line
 * of Chinese counts as many as it shows). A table row is measured cell by cell: Biome pads every
 * row to its columns' widest cells, so a row's length says how wide the table is, not how long a
 * sentence is; a cell cannot span lines, so it is held to the same limit as a line.
 * Generated text is left to its generator: whole files (below) and the `<!-- name:start -->` …
 * `<!-- name:end -->` sections scripts/catalogue-table.ts writes into docs/protocol.md.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const LINE_LIMIT = 250;

const root = join(import.meta.dirname, "../..");

/** Whole files written by a script: their text comes from code, and is checked there. */
const GENERATED = new Set([
  "docs/benchmarks.md", // bench/report.ts (`npm run bench`)
  "docs/n8n-fields.md", // n8n-nodes/scripts/field-reference.mts, from the node descriptions
]);

const markdownIn = (dir: string) =>
  readdirSync(join(root, dir))
    .filter((name) => name.endsWith(".md"))
    .map((name) => (dir === "." ? name : `${dir}/${name}`));

const guarded = () =>
  [...markdownIn("."), ...markdownIn("docs"), ...markdownIn("docs/zh-CN")].filter(
    (file) => file.startsWith("README") || (file.startsWith("docs/") && !GENERATED.has(file)),
  );

const length = (text: string) => [...text].length;

/** The cells of a table row, split at unescaped pipes (a pipe inside backticks is escaped in GFM too). */
const cellsOf = (row: string) =>
  row
    .trim()
    .replace(/^\|/, "")
    .replace(/(?<!\\)\|$/, "")
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim());

/** Every line of `text` (named `file`) that is too long, as `file:line: what (n characters)`. */
function longLines(file: string, text: string, limit = LINE_LIMIT): string[] {
  const found: string[] = [];
  let fence: string | null = null;
  let generated: string | null = null;
  text.split("\n").forEach((line, index) => {
    const where = `${file}:${index + 1}`;
    const fenceMark = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence !== null) {
      if (fenceMark?.startsWith(fence)) fence = null;
      return;
    }
    if (fenceMark) {
      fence = fenceMark;
      return;
    }
    if (generated !== null) {
      if (line.trim() === `<!-- ${generated}:end -->`) generated = null;
      return;
    }
    const start = /^<!-- ([\w-]+):start -->$/.exec(line.trim());
    if (start?.[1]) {
      generated = start[1];
      return;
    }
    if (/^\s*\|/.test(line)) {
      cellsOf(line).forEach((cell, column) => {
        if (/^:?-+:?$/.test(cell)) return; // the delimiter row: padding, like the others
        if (length(cell) > limit) found.push(`${where}: table cell ${column + 1} (${length(cell)} characters)`);
      });
    } else if (length(line) > limit) {
      found.push(`${where}: ${length(line)} characters`);
    }
  });
  return found;
}

describe("docs use short lines", () => {
  it("guards the READMEs and the hand-written docs, in both languages", () => {
    const files = guarded();
    for (const file of ["README.md", "README.zh-CN.md", "docs/architecture.md", "docs/zh-CN/guide.md"]) {
      expect(files).toContain(file);
    }
    for (const file of GENERATED) expect(files).not.toContain(file);
  });

  it(`no prose line or table cell runs past ${LINE_LIMIT} characters`, () => {
    const found = guarded().flatMap((file) => longLines(file, readFileSync(join(root, file), "utf8")));
    expect(found, `split these at their sentences (limit ${LINE_LIMIT}):\n${found.join("\n")}`).toEqual([]);
  });

  it("finds a long line, a long cell, and none in code or generated sections", () => {
    const long = "word ".repeat(60); // 300 characters
    const text = [
      "# Title",
      long,
      `| a | ${long} |`,
      `| - | ${"-".repeat(300)} |`,
      "```",
      long,
      "```",
      "<!-- catalogue:start -->",
      `| ${long} |`,
      "<!-- catalogue:end -->",
      "长".repeat(251),
      "长".repeat(250),
    ].join("\n");
    expect(longLines("x.md", text)).toEqual([
      "x.md:2: 300 characters",
      "x.md:3: table cell 2 (299 characters)",
      "x.md:11: 251 characters",
    ]);
  });
});
