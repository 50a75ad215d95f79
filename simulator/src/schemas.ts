/**
 * Types of the catalogue's schemas, taken from shared. The simulator does not import zod
 * itself: only shared's copy of zod is involved, so tsc never compares two copies.
 */
import type { eboparkOperations, toFieldIssues } from "@parkbridge/shared";

/** A catalogue request schema (a zod object). */
export type CatalogueSchema = NonNullable<Parameters<typeof toFieldIssues>[1]>;

/** What an Ebopark request schema parses to. */
export type EboparkRequest<K extends keyof typeof eboparkOperations> = ReturnType<
  (typeof eboparkOperations)[K]["request"]["parse"]
>;
