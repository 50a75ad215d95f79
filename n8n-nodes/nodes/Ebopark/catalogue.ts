/**
 * The Ebopark node's parameters, generated from shared's `eboparkOperations`: CPGS find-by-plate
 * under "Vehicle Location", the known partnerService calls plus a signed custom call under
 * "Partner Service".
 */
import { type EboparkOperationId, eboparkOperations } from "@parkbridge/shared";
import type { INodeProperties, INodePropertyOptions } from "n8n-workflow";
import { additionalFieldsProperty, operationProperty } from "../common/properties";
import { isOptional, plainProperty, type SchemaLike, shapeOf } from "../common/schema";

export type EboparkResource = "vehicleLocation" | "partnerService";
export const CUSTOM_CALL = "customCall";

export interface EboparkField {
  name: string;
  schema: SchemaLike;
  optional: boolean;
}

export function eboparkFields(id: EboparkOperationId): EboparkField[] {
  return Object.entries(shapeOf(eboparkOperations[id].request)).map(([name, schema]) => ({
    name,
    schema,
    optional: isOptional(schema),
  }));
}

export const resourceOf = (id: EboparkOperationId): EboparkResource =>
  eboparkOperations[id].host === "cpgs" ? "vehicleLocation" : "partnerService";

export function describeEboparkResource(resource: EboparkResource): INodeProperties[] {
  const ids = (Object.keys(eboparkOperations) as EboparkOperationId[]).filter((id) => resourceOf(id) === resource);
  const options: INodePropertyOptions[] = ids.map((id) => ({
    name: eboparkOperations[id].title,
    value: id,
    description: `${eboparkOperations[id].description} (${id}, ${eboparkOperations[id].zh})`,
    action: eboparkOperations[id].title,
  }));
  if (resource === "partnerService") {
    options.push({
      name: "Custom Call",
      value: CUSTOM_CALL,
      description: "A signed call to any other partnerService endpoint, by name, with a JSON body",
      action: "Call a partner service endpoint",
    });
  }
  const properties: INodeProperties[] = [operationProperty(resource, options, ids[0] ?? "")];
  for (const id of ids) {
    const show = { resource: [resource], operation: [id] };
    const fields = eboparkFields(id);
    for (const field of fields.filter((candidate) => !candidate.optional)) {
      properties.push({ ...plainProperty(field.name, field.schema), required: true, displayOptions: { show } });
    }
    const optional = fields.filter((candidate) => candidate.optional);
    if (optional.length > 0) {
      properties.push(
        additionalFieldsProperty(
          show,
          optional.map((field) => plainProperty(field.name, field.schema)),
        ),
      );
    }
  }
  if (resource === "partnerService") {
    const show = { resource: [resource], operation: [CUSTOM_CALL] };
    properties.push(
      {
        displayName: "Endpoint Name",
        name: "endpoint",
        type: "string",
        default: "",
        placeholder: "e.g. DelMonthCar",
        description: "The partnerService endpoint, as named in the Ebopark interface table of contents",
        required: true,
        displayOptions: { show },
      },
      {
        displayName: "Body",
        name: "body",
        type: "json",
        default: "{}",
        description:
          "JSON body; it is serialised once, signed (md5 of the body string + secret key) and sent as signed",
        displayOptions: { show },
      },
    );
  }
  return properties;
}
