import { readFileSync } from "node:fs";
import { join } from "node:path";
import { operationIds } from "@parkbridge/shared";
import { describe, expect, it } from "vitest";
import { catalogueTable } from "../../scripts/catalogue-table.js";

const doc = readFileSync(join(import.meta.dirname, "../../docs/protocol.md"), "utf8");

/** A Markdown table as rows of trimmed cells: Biome pads the columns of docs, the script does not. */
const cells = (table: string) =>
  table
    .trim()
    .split("\n")
    .map((row) =>
      row
        .trim()
        .replace(/^\||\|$/g, "")
        .split("|")
        .map((cell) => cell.trim().replace(/^-+$/, "---")),
    );

describe("docs/protocol.md", () => {
  it("its catalogue table is exactly what scripts/catalogue-table.ts prints", () => {
    const match = /<!-- catalogue:start -->\n([\s\S]*?)\n<!-- catalogue:end -->/.exec(doc);
    expect(match, "the catalogue markers").not.toBeNull();
    expect(cells(match?.[1] ?? "")).toEqual(cells(catalogueTable()));
  });

  it("the table lists all 18 operations", () => {
    const table = catalogueTable();
    expect(operationIds).toHaveLength(18);
    for (const id of operationIds) expect(table).toContain(`| \`${id}\` |`);
  });

  it("names every rejection reason of verifyCallback", () => {
    for (const reason of [
      "missing_header",
      "unknown_app_key",
      "bad_sign",
      "stale_timestamp",
      "malformed_body",
      "unknown_callback_type",
    ]) {
      expect(doc).toContain(`\`${reason}\``);
    }
  });
});
