/**
 * Prints the operation catalogue as a Markdown table, from `operations` itself, so the table
 * in docs/protocol.md is generated rather than restated (test/shared/docs.test.ts keeps them equal).
 *
 *   npx tsx scripts/catalogue-table.ts
 */
import { type OperationDefinition, operationIds, operations } from "../shared/src/index.js";

export function catalogueTable(): string {
  const rows = operationIds.map((id, index) => {
    const op = operations[id] as OperationDefinition;
    const paged = op.paging === "pages" ? "yes" : "no";
    const limits = op.limits?.maxRangeHours ? ` (≤${op.limits.maxRangeHours} h per query, split)` : "";
    return `| ${index + 1} | \`${id}\` | \`${op.path}\` | ${op.kind} | ${paged}${limits} | \`${op.resultKey}\` | ${op.zh} | ${op.title} |`;
  });
  return [
    "| # | operation id | default path | kind | paged | answer under | Chinese name | English name |",
    "|---|---|---|---|---|---|---|---|",
    ...rows,
  ].join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(catalogueTable());
}
