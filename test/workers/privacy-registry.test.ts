/**
 * The personal-data registry is complete: every column of the D1 schema (all migrations applied)
 * and every field the platforms' catalogues define whose name looks personal is registered
 * (workers/src/privacy/registry.ts) or listed as reviewed and not personal.
 */
import { env } from "cloudflare:workers";
import { callbacks, eboparkVocabulary } from "@parkbridge/shared";
import { describe, expect, it } from "vitest";
import {
  EVENT_DATA_FIELDS,
  LOOKS_PERSONAL,
  LOOKS_PERSONAL_FIELD,
  NOT_PERSONAL,
  NOT_PERSONAL_FIELDS,
  PERSONAL_DATA,
  registeredColumn,
} from "../../workers/src/privacy/registry.js";

/** Every table of the schema but SQLite's and the migrations' own. */
async function schemaColumns(): Promise<Array<{ table: string; column: string }>> {
  const { results: tables } = await env.DB.prepare(
    `SELECT name FROM sqlite_master WHERE type = 'table'
       AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name <> 'd1_migrations'`,
  ).all<{ name: string }>();
  const columns: Array<{ table: string; column: string }> = [];
  for (const { name } of tables) {
    const { results } = await env.DB.prepare("SELECT name FROM pragma_table_info(?1)")
      .bind(name)
      .all<{ name: string }>();
    for (const column of results) columns.push({ table: name, column: column.name });
  }
  return columns;
}

/** The keys of a callback's data schema (a loose object, maybe inside transforms). */
function shapeKeys(schema: unknown): string[] {
  let current = schema as { shape?: Record<string, unknown>; _zod: { def: { in?: unknown; innerType?: unknown } } };
  while (current && !current.shape) current = (current._zod.def.in ?? current._zod.def.innerType) as typeof current;
  return Object.keys(current?.shape ?? {});
}

describe("the personal-data registry", () => {
  it("registers every column of the schema whose name looks personal", async () => {
    const columns = await schemaColumns();
    expect(columns.length).toBeGreaterThan(50);
    const unregistered = columns
      .filter(({ column }) => LOOKS_PERSONAL.test(column))
      .filter(({ table, column }) => !registeredColumn(table, column) && !(`${table}.${column}` in NOT_PERSONAL))
      .map(({ table, column }) => `${table}.${column}`);
    expect(unregistered, "register these in workers/src/privacy/registry.ts (or say why not in NOT_PERSONAL)").toEqual(
      [],
    );
  });

  it("names only tables and columns that exist (a renamed column cannot leave the registry behind)", async () => {
    const columns = new Set((await schemaColumns()).map(({ table, column }) => `${table}.${column}`));
    for (const table of PERSONAL_DATA) {
      for (const column of table.columns)
        expect(columns, `${table.table}.${column.column}`).toContain(`${table.table}.${column.column}`);
      expect(columns).toContain(`${table.table}.${table.key}`);
    }
    for (const entry of Object.keys(NOT_PERSONAL)) expect(columns, entry).toContain(entry);
  });

  it("registers every field of both platforms' catalogues whose name looks personal", () => {
    const fields = new Set([
      ...Object.values(callbacks).flatMap((callback) => shapeKeys(callback.data)),
      ...Object.keys(eboparkVocabulary),
    ]);
    expect(fields.size).toBeGreaterThan(20);
    const unregistered = [...fields]
      .filter((field) => LOOKS_PERSONAL_FIELD.test(field))
      .filter((field) => !(`$.${field}` in EVENT_DATA_FIELDS) && !(field in NOT_PERSONAL_FIELDS));
    expect(unregistered).toEqual([]);
  });

  it("runs each table's person conditions (by plate and by phone) on the real schema", async () => {
    for (const table of PERSONAL_DATA) {
      for (const [kind, condition] of Object.entries(table.whose)) {
        const sql = `SELECT count(*) AS n FROM ${table.table} WHERE ${condition}`;
        const values = kind === "plate" ? ["粤B00000", "\\u7ca4B00000"] : [JSON.stringify(["13800138000"])];
        const statement = env.DB.prepare(sql).bind(...values.slice(0, sql.includes("?2") ? 2 : 1));
        await expect(statement.first("n"), `${table.table} by ${kind}`).resolves.toBe(0);
      }
    }
  });
});
