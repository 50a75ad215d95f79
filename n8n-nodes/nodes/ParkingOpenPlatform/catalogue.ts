/**
 * The n8n parameters of the Parking Open Platform node, generated from the shared catalogue:
 * one operation per catalogue entry (all but getAccessToken), required fields at the top,
 * optional ones under "Additional Fields", lot/lane/vehicle-type pickers loaded from the platform.
 */
import {
  type CallableOperationId,
  type OperationDefinition,
  operationIds,
  operations,
  type ResourceId,
  resources,
} from "@parkbridge/shared";
import type { INodeProperties } from "n8n-workflow";
import { additionalFieldsProperty, listOrIdProperty, operationProperty, pagingProperties } from "../common/properties";
import { isOptional, metaOf, plainProperty, type SchemaLike, shapeOf } from "../common/schema";

export type PlatformResourceId = Exclude<ResourceId, "auth">;

/** The resources offered, in the catalogue's order. */
export const platformResourceIds = (Object.keys(resources) as ResourceId[]).filter(
  (id): id is PlatformResourceId => id !== "auth",
);

export const callableOperationIds = operationIds.filter((id): id is CallableOperationId => id !== "getAccessToken");

export function definitionOf(id: CallableOperationId): OperationDefinition {
  return operations[id] as unknown as OperationDefinition;
}

export const isPaged = (id: CallableOperationId) => definitionOf(id).paging === "pages";

/** Paging is the node's business (Return All / Limit), not the user's. */
const PAGING_FIELDS = new Set(["pageNo", "pageSize"]);

export interface CatalogueField {
  name: string;
  schema: SchemaLike;
  optional: boolean;
}

export function fieldsOf(id: CallableOperationId): CatalogueField[] {
  return Object.entries(shapeOf(definitionOf(id).request))
    .filter(([name]) => !PAGING_FIELDS.has(name))
    .map(([name, schema]) => ({ name, schema, optional: isOptional(schema) }));
}

export function fieldTitle(id: CallableOperationId, name: string): string | undefined {
  const field = fieldsOf(id).find((candidate) => candidate.name === name);
  return field ? metaOf(name, field.schema).title : undefined;
}

/** The parameter for one field, with the pickers where the platform can list the values. */
function propertyFor(id: CallableOperationId, field: CatalogueField): INodeProperties {
  const plain = plainProperty(field.name, field.schema);
  if (field.name === "parkingId") return listOrIdProperty(plain, "searchParkingLots", "e.g. park1");
  if (field.name === "laneId") return listOrIdProperty(plain, "searchLanes", "e.g. park1-1");
  if (field.name === "laneNos") {
    return {
      ...plain,
      type: "multiOptions",
      default: [],
      typeOptions: { loadOptionsMethod: "getLanes", loadOptionsDependsOn: ["parkingId.value"] },
      description: `${plain.description} Empty means every lane. Choose from the list, or specify lane numbers using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.`,
    };
  }
  if (field.name === "vehicleType" && id === "addVehicle") {
    return {
      ...plain,
      type: "options",
      options: undefined,
      default: "2",
      typeOptions: { loadOptionsMethod: "getVehicleTypes", loadOptionsDependsOn: ["parkingId.value"] },
      description: `${plain.description} Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.`,
    };
  }
  return plain;
}

/** Operation selector, fields, Additional Fields and paging for one resource. */
export function describeResource(resource: PlatformResourceId): INodeProperties[] {
  const ids = callableOperationIds.filter((id) => definitionOf(id).resource === resource);
  const properties: INodeProperties[] = [
    operationProperty(
      resource,
      ids.map((id) => {
        const definition = definitionOf(id);
        return { name: definition.title, value: id, description: definition.description, action: definition.title };
      }),
      ids[0] ?? "",
    ),
  ];
  for (const id of ids) {
    const show = { resource: [resource], operation: [id] };
    const fields = fieldsOf(id);
    for (const field of fields.filter((candidate) => !candidate.optional)) {
      properties.push({ ...propertyFor(id, field), required: true, displayOptions: { show } });
    }
    if (isPaged(id)) properties.push(...pagingProperties(show));
    const optional = fields.filter((candidate) => candidate.optional);
    if (optional.length > 0) {
      properties.push(
        additionalFieldsProperty(
          show,
          optional.map((field) => propertyFor(id, field)),
        ),
      );
    }
  }
  return properties;
}
