import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

// The protocol package runs on workerd and in n8n as well as Node: Web standards only, no eval.
const root = join(import.meta.dirname, "../../shared/src");
const files = (readdirSync(root, { recursive: true }) as string[])
  .filter((name) => name.endsWith(".ts"))
  .map((name) => join(root, name));

/** Source without comments, so a comment that mentions Buffer does not count. */
const code = (file: string) =>
  readFileSync(file, "utf8")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/(^|[^:])\/\/.*$/gm, "$1");

describe("shared/src uses no Node-only API", () => {
  it("finds the sources", () => {
    expect(files.length).toBeGreaterThan(10);
  });

  it.each(files.map((file) => [relative(root, file), file]))("%s", (_name, file) => {
    const source = code(file);
    expect(source).not.toMatch(/from\s+["']node:/);
    expect(source).not.toMatch(/import\(\s*["']node:/);
    expect(source).not.toMatch(/require\(/);
    expect(source).not.toMatch(/\bBuffer\b/);
    expect(source).not.toMatch(/\bprocess\./);
    expect(source).not.toMatch(/from\s+["'](fs|path|crypto|http|https|os|url|util|stream|buffer|events)["']/);
    // Nor evaluates code: workerd forbids it and the n8n community scanner refuses it.
    expect(source).not.toMatch(/\bnew\s+Function\b|\beval\s*\(/);
  });
});
