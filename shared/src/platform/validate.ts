import type { z } from "zod";
import { toFieldIssues, ValidationError } from "./errors.js";
import { type OperationId, type OperationInput, type OperationRequest, operations } from "./operations.js";

/** Validates a request for an operation; throws a ValidationError naming each bad field. */
export function validateRequest<K extends OperationId>(id: K, input: OperationInput<K>): OperationRequest<K> {
  const schema = operations[id].request as z.ZodObject;
  const parsed = schema.safeParse(input ?? {});
  if (!parsed.success) throw new ValidationError(id, toFieldIssues(parsed.error, schema, input ?? {}));
  return parsed.data as OperationRequest<K>;
}
