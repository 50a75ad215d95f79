/**
 * Turns the protocol package's errors into n8n's: bad input becomes a NodeOperationError
 * naming the field, a platform refusal a NodeApiError carrying the platform's own `msg`.
 */
import { PlatformError, TransportError, ValidationError } from "@parkbridge/shared";
import type { INode, JsonObject } from "n8n-workflow";
import { NodeApiError, NodeOperationError } from "n8n-workflow";

/** Optional English titles for field names, e.g. `vehicleCode` → `Plate`. */
export type FieldTitles = (field: string) => string | undefined;

export function toNodeError(
  node: INode,
  error: unknown,
  itemIndex: number,
  titleOf: FieldTitles = () => undefined,
): NodeApiError | NodeOperationError {
  if (error instanceof NodeApiError || error instanceof NodeOperationError) {
    error.context.itemIndex ??= itemIndex;
    return error;
  }
  if (error instanceof ValidationError) {
    const issues = error.issues.map((issue) => {
      const top = issue.field.split(".")[0] ?? issue.field;
      const title = titleOf(top);
      return `${title ? `${title} (${issue.field})` : issue.field} ${issue.reason}`;
    });
    return new NodeOperationError(node, issues[0] ?? error.message, {
      itemIndex,
      description: issues.join("; "),
    });
  }
  if (error instanceof PlatformError) {
    return new NodeApiError(node, { code: error.code, msg: error.msg } as JsonObject, {
      itemIndex,
      message: `The platform refused ${error.operationId}: ${error.msg}`,
      description: `Platform answer code ${error.code}: ${error.msg}`,
    });
  }
  if (error instanceof TransportError) {
    return new NodeApiError(node, { message: error.message } as JsonObject, {
      itemIndex,
      message: error.message,
      description: `Could not complete ${error.operationId} (${error.kind}).`,
    });
  }
  return new NodeOperationError(node, error as Error, { itemIndex });
}
