/**
 * The Parking Open Platform node's operations: every operation of the shared catalogue but
 * getAccessToken (shared/src/platform/operations.ts), grouped by the catalogue's resources, their
 * fields read by the common catalogue layer. Paging is the node's (Return All / Limit).
 */
import {
  type CallableOperationId,
  type OperationDefinition,
  operationIds,
  operations,
  type ResourceId,
  resources,
} from "@parkbridge/shared";
import { type CatalogueOperation, platformFields } from "../common/catalogue";

export type PlatformResourceId = Exclude<ResourceId, "auth">;

/** The resources offered, in the catalogue's order. */
export const platformResourceIds = (Object.keys(resources) as ResourceId[]).filter(
  (id): id is PlatformResourceId => id !== "auth",
);

export const callableOperationIds = operationIds.filter((id): id is CallableOperationId => id !== "getAccessToken");

export const definitionOf = (id: CallableOperationId) => operations[id] as unknown as OperationDefinition;

const PAGING_FIELDS = ["pageNo", "pageSize"];

export const platformOperations: CatalogueOperation[] = platformResourceIds.flatMap((resource) =>
  callableOperationIds
    .filter((id) => definitionOf(id).resource === resource)
    .map((id) => {
      const definition = definitionOf(id);
      return {
        resource,
        value: id,
        name: definition.title,
        description: definition.description,
        action: definition.title,
        fields: platformFields(definition.request, PAGING_FIELDS),
        paged: definition.paging === "pages",
      };
    }),
);

export function platformOperation(id: CallableOperationId): CatalogueOperation {
  const operation = platformOperations.find((candidate) => candidate.value === id);
  if (!operation) throw new Error(`Unknown operation ${id}`);
  return operation;
}
