/**
 * Minimisation: what a reader sees of personal values (docs/privacy.md, "Who sees what"). Every
 * answer, delivery and page that carries a registered value (registry.ts) passes it through here.
 * - `masked` (events, deliveries, the status page): phones as 138****8000, names as their first
 *   character and stars, raw bodies left out.
 * - `operator` (visitor grants): names as stored (the grant is managed by who it is for), phones masked.
 * - `full`: as stored; a subscription that opted in, or an admin read that asked (audited).
 */
import { EVENT_DATA_FIELDS, EVENT_DETAILS_FIELDS, type PersonalKind, registeredColumn } from "./registry.js";

export const personalDataViews = ["masked", "operator", "full"] as const;
export type PersonalDataView = (typeof personalDataViews)[number];

/** 13800138000 → 138****8000: the first three and last four digits (fewer for short numbers). */
export function maskPhone(phone: string): string {
  const chars = [...phone];
  if (chars.length >= 8) return `${chars.slice(0, 3).join("")}****${chars.slice(-4).join("")}`;
  if (chars.length >= 3) return `${"*".repeat(chars.length - 2)}${chars.slice(-2).join("")}`;
  return "*".repeat(chars.length);
}

/** 张三 → 张*, 欧阳娜娜 → 欧***, Alice → A****: the first character only. */
export function maskName(name: string): string {
  const chars = [...name.trim()];
  return chars.length === 0 ? name : `${chars[0]}${"*".repeat(Math.max(1, chars.length - 1))}`;
}

/** 粤B12345 → 粤B***45: for the audit of an erasure, which must not keep the plate it erased. */
export function maskPlate(plate: string): string {
  const chars = [...plate];
  if (chars.length <= 4) return `${chars[0] ?? ""}***`;
  return `${chars.slice(0, 2).join("")}${"*".repeat(chars.length - 4)}${chars.slice(-2).join("")}`;
}

/** One value of the given kind, as `view` shows it. */
export function maskValue(kind: PersonalKind, value: unknown, view: PersonalDataView): unknown {
  if (view === "full" || typeof value !== "string" || value === "") return value;
  switch (kind) {
    case "phone":
      return maskPhone(value);
    case "name":
      return view === "operator" ? value : maskName(value);
    default:
      // Plates, notes and photos are what the reader works with; raw bodies are left out by the caller.
      return value;
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * A JSON value with its registered personal fields (paths such as `$.request.visitorPhone`) as
 * `view` shows them: a copy, the stored value untouched.
 */
export function maskJson<T>(value: T, fields: Readonly<Record<string, PersonalKind>>, view: PersonalDataView): T {
  if (view === "full" || !isObject(value)) return value;
  const copy = structuredClone(value) as Record<string, unknown>;
  for (const [path, kind] of Object.entries(fields)) {
    const keys = path.replace(/^\$\./, "").split(".");
    const last = keys.pop() as string;
    let node: unknown = copy;
    for (const key of keys) node = isObject(node) ? node[key] : undefined;
    if (isObject(node) && last in node) node[last] = maskValue(kind, node[last], view);
  }
  return copy as T;
}

/** An event's `data` as `view` shows it. */
export const maskEventData = (data: Record<string, unknown>, view: PersonalDataView) =>
  maskJson(data, EVENT_DATA_FIELDS, view);

/** An event's vocabulary fields of its kind (its `details`: operatorName…) as `view` shows them. */
export const maskEventDetails = (details: Record<string, unknown>, view: PersonalDataView) =>
  maskJson(details, EVENT_DETAILS_FIELDS, view);

/** A grant's audit detail (the request, the booking, the platform's authorisation) as `view` shows it. */
export const maskAuditDetail = (detail: unknown, view: PersonalDataView) =>
  maskJson(detail, registeredColumn("grant_audit", "detail")?.fields ?? {}, view);
