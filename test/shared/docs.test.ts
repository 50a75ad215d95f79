import { readFileSync } from "node:fs";
import { join } from "node:path";
import { operationIds } from "@parkbridge/shared";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import {
  catalogueTable,
  eboparkCatalogueTable,
  eboparkReportFieldTable,
  eboparkReportTable,
} from "../../scripts/catalogue-table.js";

/**
 * The members of a string-literal union type, as the TypeScript compiler reads its one definition
 * (`type T = "a" | "b"`, or one derived from a list), so no test restates them.
 */
function stringUnion(file: string, typeName: string): string[] {
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2023,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    skipLibCheck: true,
    types: [],
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  const alias = source?.statements.find(
    (node): node is ts.TypeAliasDeclaration => ts.isTypeAliasDeclaration(node) && node.name.text === typeName,
  );
  if (!alias) throw new Error(`no type ${typeName} in ${file}`);
  const type = checker.getTypeAtLocation(alias.name);
  return (type.isUnion() ? type.types : [type]).flatMap((member) => (member.isStringLiteral() ? [member.value] : []));
}

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

/** The table between `<!-- name:start -->` and `<!-- name:end -->`. */
const section = (name: string) => new RegExp(`<!-- ${name}:start -->\\n([\\s\\S]*?)\\n<!-- ${name}:end -->`).exec(doc);

describe("docs/protocol.md", () => {
  it.each([
    ["catalogue", catalogueTable],
    ["ebopark-catalogue", eboparkCatalogueTable],
    ["ebopark-reports", eboparkReportTable],
    ["ebopark-report-fields", eboparkReportFieldTable],
  ])("its %s table is exactly what scripts/catalogue-table.ts prints", (name, table) => {
    const match = section(name);
    expect(match, `the ${name} markers`).not.toBeNull();
    expect(cells(match?.[1] ?? "")).toEqual(cells(table()));
  });

  it("marks the abnormal lift's fields documented and the other reports' inferred", () => {
    const rows = cells(eboparkReportFieldTable()).slice(2);
    const column = cells(eboparkReportFieldTable())[0]?.indexOf("`abnormalPass`") ?? -1;
    expect(column).toBeGreaterThan(0);
    for (const row of rows) {
      for (const [index, cell] of row.entries()) {
        if (index < 3 || cell === "") continue;
        expect(cell, row[0]).toMatch(index === column ? /^D!?$/ : /^I!?$/);
      }
    }
  });

  it("the table lists all 18 operations", () => {
    const table = catalogueTable();
    expect(operationIds).toHaveLength(18);
    for (const id of operationIds) expect(table).toContain(`| \`${id}\` |`);
  });

  it("names every rejection reason of verifyEboparkReport, and says its signing is unconfirmed", () => {
    for (const reason of ["unknown_report", "missing_parameter", "unknown_partner", "bad_sign", "malformed_body"]) {
      expect(doc).toContain(`| \`${reason}\``);
    }
    expect(doc).toContain("**The signing is unconfirmed.**");
  });

  it("names every rejection reason of verifyCallback", () => {
    const reasons = stringUnion(join(import.meta.dirname, "../../shared/src/callbacks/verify.ts"), "RejectionReason");
    expect(reasons).toContain("bad_sign"); // the reader found the type
    for (const reason of reasons) expect(doc, reason).toContain(`\`${reason}\``);
  });
});
