/**
 * Plates as people type them. A guard or a visitor types `粤b·12345`, `粤B 12345` or the full-width
 * `粤Ｂ１２３４５` (a Chinese input method's default); the platform wants `粤B12345`. Wherever a plate
 * comes from a person (the n8n nodes' fields, the grants API, the examples' forms) it is read with
 * `normalisePlateInput` first, then checked against the one plate rule of `fields.ts`. What the
 * platform sends in callbacks is never normalised: it is the platform's own record, kept exact.
 */
import { z } from "zod";
import { PLATE_MAX_LENGTH, plateSchema } from "./fields.js";

/** The longest plate a person may type, separators and full-width characters included. */
const TYPED_PLATE_MAX_LENGTH = 4 * PLATE_MAX_LENGTH;

/**
 * Separators printed on or typed into plates: spaces of every width, the middle dots (`·` as
 * printed, `・`/`･` from Japanese-style input methods, `•`, `‧`, `⋅`, `∙`), and `.`, `-`, `_`.
 * Zero-width characters pasted from chat apps go too.
 */
const SEPARATORS = /[\s\u00B7\u2022\u2027\u2219\u22C5\u30FB\uFF65.\-_\u200B-\u200D\u2060\uFEFF]/gu;

/**
 * A typed plate as the platform writes it: full-width letters and digits to ASCII (Unicode
 * NFKC, which leaves Chinese characters alone), separators removed, Latin letters upper case.
 * Nothing else is guessed (an `O` typed for a `0` stays an `O` and is refused).
 */
export function normalisePlateInput(text: string): string {
  return text.normalize("NFKC").replace(SEPARATORS, "").toUpperCase();
}

/** A person's plate read into the platform's form and checked against the plate rule. */
export type PlateReading = { ok: true; plate: string; changed: boolean } | { ok: false; plate: string; reason: string };

export function readPlateInput(text: string): PlateReading {
  const plate = normalisePlateInput(text);
  const checked = plateSchema.safeParse(plate);
  if (checked.success) return { ok: true, plate, changed: plate !== text };
  const reason = checked.error.issues[0]?.message ?? "must be a Chinese licence plate";
  return { ok: false, plate, reason: plate === text ? reason : `${reason} (read as ${JSON.stringify(plate)})` };
}

/**
 * A plate field a person fills in: normalised, then refused only if it is still not a plate
 * (the reason says what it was read as). Its input in OpenAPI is a plain string.
 */
export const plateInputSchema = z.string({ error: "must be a string" }).transform((text, context) => {
  const reading = readPlateInput(text);
  if (reading.ok) return reading.plate;
  context.addIssue({ code: "custom", message: reading.reason });
  return z.NEVER;
});

/** A plate filter a person types: normalised the same way, never refused (it only narrows a list). */
export const plateFilterSchema = z.string().min(1).max(TYPED_PLATE_MAX_LENGTH).transform(normalisePlateInput);
