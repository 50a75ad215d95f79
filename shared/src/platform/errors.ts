/**
 * Errors a caller can act on. Each names the operation, and where it is about a field,
 * the field and the reason in English; a platform refusal carries the platform's own `msg`.
 */
import type { z } from "zod";
import { fieldMeta } from "./fields.js";

export interface FieldIssue {
  /** Dotted path, e.g. `vehicleCode` or `data.tempLot`. */
  field: string;
  /** Why, in English. */
  reason: string;
  /** The platform's Chinese term for the field, when the catalogue knows it. */
  zh?: string;
}

export class ParkbridgeError extends Error {
  override name = "ParkbridgeError";
}

/** The input was refused before anything was sent. */
export class ValidationError extends ParkbridgeError {
  override name = "ValidationError";
  constructor(
    readonly operationId: string,
    readonly issues: FieldIssue[],
  ) {
    super(`${operationId}: ${issues.map((i) => `${i.field} ${i.reason}`).join("; ")}`);
  }
  get field(): string | undefined {
    return this.issues[0]?.field;
  }
}

/** The platform answered with `code != 0`. `msg` is the platform's own words. */
export class PlatformError extends ParkbridgeError {
  override name = "PlatformError";
  constructor(
    readonly operationId: string,
    readonly code: number,
    readonly msg: string,
    readonly httpStatus?: number,
  ) {
    super(`${operationId} was refused by the platform (code ${code}): ${msg}`);
  }
}

/** The platform could not be reached or answered something that is not its envelope. */
export class TransportError extends ParkbridgeError {
  override name = "TransportError";
  constructor(
    readonly operationId: string,
    message: string,
    readonly kind: "timeout" | "network" | "http" | "malformed",
    readonly httpStatus?: number,
    options?: { cause?: unknown },
  ) {
    super(`${operationId}: ${message}`, options);
  }
}

/**
 * Turns zod issues into field issues, reading the catalogue's metadata for the Chinese term.
 * Pass the parsed `input` so a missing field reads "is required" and a field of the wrong
 * kind keeps its own reason (zod does not keep the input in its issues).
 */
export function toFieldIssues(error: z.ZodError, schema?: z.ZodObject, input?: unknown): FieldIssue[] {
  return error.issues.flatMap((issue) => {
    const path = issue.path.map(String);
    const termOf = (top: string | undefined) => {
      const fieldSchema = top && schema ? (schema.shape as Record<string, z.ZodType>)[top] : undefined;
      return fieldSchema ? fieldMeta(fieldSchema)?.zh : undefined;
    };
    if (issue.code === "unrecognized_keys") {
      // One issue per unknown key, named by the key itself.
      return issue.keys.map((key) => ({
        field: [...path, key].join("."),
        reason: "is not a known field (unknown fields are refused)",
      }));
    }
    const zh = termOf(path[0]);
    let reason = issue.message;
    if (isMissing(issue, path, input)) reason = "is required";
    return [{ field: path.length ? path.join(".") : "(body)", reason, ...(zh ? { zh } : {}) }];
  });
}

function isMissing(issue: z.core.$ZodIssue, path: string[], input: unknown): boolean {
  // A refinement's own reason stands (its path may name a key as printed, not as sent).
  if (!path.length || issue.code === "custom") return false;
  if (input !== undefined) {
    let value: unknown = input;
    for (const key of path) {
      if (!value || typeof value !== "object") return false;
      value = (value as Record<string, unknown>)[key];
    }
    return value === undefined;
  }
  // Without the input, fall back to zod's own wording of a missing value.
  if (issue.code !== "invalid_type" && issue.code !== "invalid_union") return false;
  const messages = [
    issue.message,
    ...(issue.code === "invalid_union" ? issue.errors.flat().map((e) => e.message) : []),
  ];
  return messages.some((m) => /received undefined/.test(m));
}

/** A Chinese message in the platform's style, for the simulator's answers. */
export function toPlatformMessage(issues: FieldIssue[]): string {
  const first = issues[0];
  if (!first) return "参数错误";
  const label = first.zh ? `${first.zh}(${first.field})` : first.field;
  if (first.reason === "is required") return `参数错误:${label}不能为空`;
  return `参数错误:${label}格式不正确 - ${first.reason}`;
}
