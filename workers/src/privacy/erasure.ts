/**
 * Access and erasure of one person's data (PIPL arts. 45 and 47), by plate or by phone, across
 * every table the registry lists (registry.ts). An erasure is one D1 batch (one transaction): it
 * lists the person's rows, blanks their personal columns, writes its audit row and forgets the
 * list, so nothing is ever half-erased. Events stay (they still count); their plate becomes a
 * placeholder, their names, phones, notes and photos null, their raw body empty (its digest and
 * content key stay, so a redelivered copy is still recognised and not stored again).
 */
import type { PersonalDataQuery } from "@parkbridge/shared";
import { ApiError } from "../lib/errors.js";
import { newId } from "../lib/ids.js";
import { maskPhone, maskPlate } from "./mask.js";
import { PERSONAL_DATA, type PersonalColumn, type PersonalTable } from "./registry.js";

/** One person: a plate, or a phone in the spellings it may be stored in. */
export type Subject = { kind: "plate"; plate: string } | { kind: "phone"; phone: string; spellings: string[] };

/** Digits of a Chinese mobile number without the country code, in the spellings platforms and people use. */
export function phoneSpellings(phone: string): string[] {
  let digits = phone.replace(/\D/g, "");
  if (digits.length === 13 && digits.startsWith("86")) digits = digits.slice(2);
  if (digits.length === 15 && digits.startsWith("0086")) digits = digits.slice(4);
  const spellings = new Set([phone.trim(), digits, `+86${digits}`, `86${digits}`, `+86 ${digits}`]);
  if (digits.length === 11) {
    const [a, b, c] = [digits.slice(0, 3), digits.slice(3, 7), digits.slice(7)];
    for (const sep of [" ", "-"]) {
      spellings.add(`${a}${sep}${b}${sep}${c}`);
      spellings.add(`+86 ${a}${sep}${b}${sep}${c}`);
    }
  }
  return [...spellings];
}

export function subjectOf(query: PersonalDataQuery): Subject {
  if (query.plate !== undefined) return { kind: "plate", plate: query.plate };
  const phone = query.phone as string;
  return { kind: "phone", phone, spellings: phoneSpellings(phone) };
}

/** How the audit names the person: masked, so it never keeps what was erased. */
export const maskedSubject = (subject: Subject) =>
  subject.kind === "plate" ? maskPlate(subject.plate) : maskPhone(subject.phone.replace(/\D/g, ""));

/** The plate as a JSON text writes it with \u escapes (a raw body may escape non-ASCII characters). */
const jsonEscaped = (text: string) =>
  text.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);

/** ?1 and ?2 of the registry's conditions (registry.ts, `whose`). */
const whoseParams = (subject: Subject): [string, string | null] =>
  subject.kind === "plate" ? [subject.plate, jsonEscaped(subject.plate)] : [JSON.stringify(subject.spellings), null];

/** What a plate becomes in an erased row: names the erasure (its audit row), not the plate. */
export const erasedPlate = (erasureId: string) => `erased:${erasureId}`;

/** The SQL value a column is set to (?3 is the erasure id), or undefined to leave it. */
function erasedValue(column: PersonalColumn, subject: Subject): string | undefined {
  const blank = column.required ? "''" : "NULL";
  switch (column.kind) {
    case "plate":
      return subject.kind === "plate" ? "'erased:' || ?3" : undefined;
    case "raw":
      return "''";
    case "json": {
      const fields = Object.entries(column.fields ?? {}).filter(
        ([, kind]) => kind !== "plate" || subject.kind === "plate",
      );
      if (fields.length === 0) return undefined;
      const args = fields.map(([path, kind]) => `'${path}', ${kind === "plate" ? "'erased:' || ?3" : "NULL"}`);
      return `iif(json_valid(${column.column}), json_replace(${column.column}, ${args.join(", ")}), ${column.column})`;
    }
    default:
      return blank;
  }
}

const targetsOf = (table: string) =>
  `SELECT row_id FROM personal_data_targets WHERE erasure_id = ?3 AND table_name = '${table}'`;

/** Binds what a statement uses of [?1, ?2, ?3]: D1 refuses values for parameters a statement lacks. */
function bindUsed(statement: D1PreparedStatement, sql: string, values: [unknown, unknown, unknown]) {
  const used = sql.includes("?3") ? 3 : sql.includes("?2") ? 2 : 1;
  return statement.bind(...values.slice(0, used));
}

export interface ErasureResult {
  erasureId: string;
  erasedAt: string;
  subject: { kind: Subject["kind"]; masked: string };
  /** Rows changed, per table. */
  erased: Record<string, number>;
}

/**
 * Erases one person's personal data everywhere. Refused (409) while a visitor grant of theirs is
 * open: its plate is what ends the access on the platform, so revoke it first.
 */
export async function erasePersonalData(db: D1Database, subject: Subject, actor = "api"): Promise<ErasureResult> {
  const [p1, p2] = whoseParams(subject);
  const grants = PERSONAL_DATA.find((t) => t.table === "visitor_grants") as PersonalTable;
  const openGrant = `SELECT id FROM visitor_grants WHERE ${grants.whose[subject.kind]} AND status IN ('pending', 'active')`;
  const open = await db
    .prepare(`${openGrant} LIMIT 1`)
    .bind(...(openGrant.includes("?2") ? [p1, p2] : [p1]))
    .first<{ id: string }>();
  if (open) throw inUse(open.id);

  const erasureId = newId("era");
  const erasedAt = new Date().toISOString();
  const values: [unknown, unknown, unknown] = [p1, p2, erasureId];
  const statements: D1PreparedStatement[] = [];
  const add = (sql: string) => statements.push(bindUsed(db.prepare(sql), sql, values));

  // An open grant appearing meanwhile aborts the batch (ingest_guard refuses NULL: migrations/0001).
  add(`INSERT INTO ingest_guard (must_be_stored) SELECT NULL WHERE ?3 IS NOT NULL AND EXISTS (${openGrant})`);
  for (const table of PERSONAL_DATA) {
    add(`INSERT INTO personal_data_targets (erasure_id, table_name, row_id)
      SELECT ?3, '${table.table}', rowid FROM ${table.table} WHERE ${table.whose[subject.kind]}`);
  }
  for (const table of PERSONAL_DATA) {
    const sets = table.columns.flatMap((column) => {
      const value = erasedValue(column, subject);
      return value === undefined ? [] : [`${column.column} = ${value}`];
    });
    if (sets.length) add(`UPDATE ${table.table} SET ${sets.join(", ")} WHERE rowid IN (${targetsOf(table.table)})`);
  }
  const audit = `INSERT INTO personal_data_audit (id, at, actor, action, subject_kind, subject, detail)
    SELECT ?3, '${erasedAt}', ${sqlText(actor)}, 'erased', '${subject.kind}', ${sqlText(maskedSubject(subject))},
      (SELECT json_group_object(table_name, n) FROM
        (SELECT table_name, count(*) AS n FROM personal_data_targets WHERE erasure_id = ?3 GROUP BY table_name))
    RETURNING detail`;
  add(audit);
  add("DELETE FROM personal_data_targets WHERE erasure_id = ?3");

  let results: D1Result[];
  try {
    results = await db.batch(statements);
  } catch (error) {
    if (/NOT NULL constraint failed: ingest_guard/i.test(String(error))) throw inUse(null);
    throw error;
  }
  const detail = (results[results.length - 2]?.results?.[0] as { detail: string } | undefined)?.detail ?? "{}";
  return {
    erasureId,
    erasedAt,
    subject: { kind: subject.kind, masked: maskedSubject(subject) },
    erased: JSON.parse(detail) as Record<string, number>,
  };
}

const sqlText = (text: string) => `'${text.replaceAll("'", "''")}'`;

const inUse = (grantId: string | null) =>
  new ApiError(
    409,
    "personal_data_in_use",
    `a visitor grant of this person is still open${grantId ? ` (${grantId})` : ""}: its plate ends the access on the platform; revoke it first (DELETE /api/visitor-grants/{id}), then erase`,
    grantId ? { grantId } : {},
  );

/** Rows one export lists per table at most (more: `truncated`). */
export const EXPORT_ROWS_PER_TABLE = 1000;

export interface PersonalDataExport {
  subject: { kind: Subject["kind"]; value: string };
  exportedAt: string;
  /** Per table: its rows (the key and the personal columns), JSON columns parsed. */
  records: Record<string, { items: Record<string, unknown>[]; truncated: boolean }>;
}

const parsed = (value: unknown): unknown => {
  if (typeof value !== "string" || value === "") return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
};

/** Everything held about one person (one D1 batch), and an audit row saying it was exported. */
export async function exportPersonalData(db: D1Database, subject: Subject, actor = "api"): Promise<PersonalDataExport> {
  const [p1, p2] = whoseParams(subject);
  const statements = PERSONAL_DATA.map((table) => {
    const columns = [table.key, ...table.columns.map((c) => c.column)];
    const sql = `SELECT ${[...new Set(columns)].join(", ")} FROM ${table.table} WHERE ${table.whose[subject.kind]}
      LIMIT ${EXPORT_ROWS_PER_TABLE + 1}`;
    return db.prepare(sql).bind(...(sql.includes("?2") ? [p1, p2] : [p1]));
  });
  const results = await db.batch<Record<string, unknown>>(statements);
  const records: PersonalDataExport["records"] = {};
  const counts: Record<string, number> = {};
  PERSONAL_DATA.forEach((table, index) => {
    const rows = results[index]?.results ?? [];
    const items = rows.slice(0, EXPORT_ROWS_PER_TABLE).map((row) => {
      const item: Record<string, unknown> = { ...row };
      for (const column of table.columns) {
        if (column.kind === "json" || column.kind === "raw") item[column.column] = parsed(row[column.column]);
      }
      return item;
    });
    if (items.length) {
      records[table.table] = { items, truncated: rows.length > EXPORT_ROWS_PER_TABLE };
      counts[table.table] = items.length;
    }
  });
  const exportedAt = new Date().toISOString();
  await recordAudit(db, { actor, action: "exported", subject, detail: counts, at: exportedAt });
  return {
    subject: { kind: subject.kind, value: subject.kind === "plate" ? subject.plate : subject.phone },
    exportedAt,
    records,
  };
}

export interface AuditInput {
  actor: string;
  action: "erased" | "exported" | "read_full";
  subject?: Subject;
  detail: Record<string, unknown>;
  at?: string;
}

/** The statement of one personal-data audit row (to run alone or in a batch). */
export function auditStatement(db: D1Database, input: AuditInput): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO personal_data_audit (id, at, actor, action, subject_kind, subject, detail)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)`,
    )
    .bind(
      newId("pda"),
      input.at ?? new Date().toISOString(),
      input.actor,
      input.action,
      input.subject?.kind ?? null,
      input.subject ? maskedSubject(input.subject) : null,
      JSON.stringify(input.detail),
    );
}

export async function recordAudit(db: D1Database, input: AuditInput): Promise<void> {
  await auditStatement(db, input).run();
}
