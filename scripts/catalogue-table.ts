/**
 * Prints the catalogues as Markdown tables, from the definitions themselves, so the tables in
 * docs/protocol.md are generated rather than restated (test/shared/docs.test.ts keeps them equal):
 * the open platform's operations, Ebopark's calls, its reports and their fields.
 *
 *   npx tsx scripts/catalogue-table.ts            # the open platform's operations
 *   npx tsx scripts/catalogue-table.ts ebopark    # Ebopark's calls, reports and report fields
 */
import type { z } from "zod";
import {
  type EboparkFieldName,
  eboparkOperations,
  eboparkReportIds,
  eboparkReports,
  eboparkVocabulary,
  type OperationDefinition,
  operationIds,
  operations,
  reportFieldMeta,
} from "../shared/src/index.js";

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

const HOSTS = { cpgs: "`cpgsHost`", partner: "`partnerHost`", ump: "`umpHost`" } as const;

/** Ebopark's known calls: id, host and path, Chinese and English names. */
export function eboparkCatalogueTable(): string {
  const rows = Object.values(eboparkOperations).map(
    (op) => `| \`${op.id}\` | ${HOSTS[op.host]} | \`${op.path}\` | ${op.zh} | ${op.title} |`,
  );
  return ["| call | host | path | Chinese name | English name |", "|---|---|---|---|---|", ...rows].join("\n");
}

/** Ebopark's reports: id (the path segment), Chinese name, whether its body is published. */
export function eboparkReportTable(): string {
  const rows = eboparkReportIds.map((id) => {
    const report = eboparkReports[id];
    const fields = Object.keys(report.fields).length;
    return `| \`${id}\` | \`/callbacks/ebopark/${id}\` | ${report.zh} | ${report.title} | ${report.documented ? "documented" : "inferred"} | ${fields} |`;
  });
  return [
    "| report | path on the Worker | Chinese name | English name | body | typed fields |",
    "|---|---|---|---|---|---|",
    ...rows,
  ].join("\n");
}

/**
 * Every typed field of the reports, and in which report it is documented (D) or inferred (I);
 * `!` marks a field the report cannot go without.
 */
export function eboparkReportFieldTable(): string {
  const header = `| field | Chinese term | kind | ${eboparkReportIds.map((id) => `\`${id}\``).join(" | ")} |`;
  const rule = `|---|---|---|${eboparkReportIds.map(() => "---").join("|")}|`;
  const rows = (Object.keys(eboparkVocabulary) as EboparkFieldName[]).map((name) => {
    const entry = eboparkVocabulary[name];
    const cells = eboparkReportIds.map((id) => {
      const schema = (eboparkReports[id].fields as Record<string, z.ZodType | undefined>)[name];
      const meta = schema && reportFieldMeta(schema);
      if (!meta) return "";
      return `${meta.source === "documented" ? "D" : "I"}${meta.required ? "!" : ""}`;
    });
    return `| \`${name}\` | ${entry.zh} | ${entry.kind} | ${cells.join(" | ")} |`;
  });
  return [header, rule, ...rows].join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv[2] === "ebopark") {
    console.log(`${eboparkCatalogueTable()}\n\n${eboparkReportTable()}\n\n${eboparkReportFieldTable()}`);
  } else {
    console.log(catalogueTable());
  }
}
