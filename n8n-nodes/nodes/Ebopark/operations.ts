/**
 * The Ebopark node's operations: every call of shared's `eboparkOperations` (CPGS find-by-plate
 * under "Vehicle Location", the partnerService calls under "Partner Service"), their fields read
 * by the common catalogue layer, and a signed custom call to any other partnerService endpoint.
 */
import { type EboparkOperationId, eboparkOperations } from "@parkbridge/shared";
import { type CatalogueOperation, platformFields } from "../common/catalogue";

export const CUSTOM_CALL = "customCall";

export const eboparkResources = [
  { value: "vehicleLocation", name: "Vehicle Location" },
  { value: "partnerService", name: "Partner Service" },
] as const;

const eboparkOperationIds = Object.keys(eboparkOperations) as EboparkOperationId[];

export const eboparkNodeOperations: CatalogueOperation[] = [
  ...eboparkOperationIds.map((id) => {
    const definition = eboparkOperations[id];
    return {
      resource: definition.host === "cpgs" ? "vehicleLocation" : "partnerService",
      value: id,
      name: definition.title,
      description: `${definition.description} (${id}, ${definition.zh})`,
      action: definition.title,
      fields: platformFields(definition.request),
    };
  }),
  {
    resource: "partnerService",
    value: CUSTOM_CALL,
    name: "Custom Call",
    description: "A signed call to any other partnerService endpoint, by name, with a JSON body",
    action: "Call a partner service endpoint",
    fields: [],
    extra: [
      {
        displayName: "Endpoint Name",
        name: "endpoint",
        type: "string",
        default: "",
        placeholder: "e.g. DelMonthCar",
        description: "The partnerService endpoint, as named in the Ebopark interface table of contents",
        required: true,
      },
      {
        displayName: "Body",
        name: "body",
        type: "json",
        default: "{}",
        description:
          "JSON body; it is serialised once, signed (md5 of the body string + secret key) and sent as signed",
      },
    ],
  },
];

export const eboparkNodeOperation = (id: string) => eboparkNodeOperations.find((operation) => operation.value === id);
