/**
 * The Worker's OpenAPI document describes the request schemas it shares with the Parkbridge Edge
 * n8n node (shared/src/edge/requests.ts): the same fields, the same required ones, the same
 * descriptions. A request schema restated in the Worker, or changed on one side only, fails here.
 */
import { exports } from "cloudflare:workers";
import {
  changeGrantBody,
  claimDeliveryBody,
  confirmClaimBody,
  createGrantBody,
  deliveryIdParams,
  edgeFieldMeta,
  eventsQuery,
  grantIdParams,
  lanesQuery,
  listGrantsQuery,
  lotParams,
} from "@parkbridge/shared";
import { describe, expect, it } from "vitest";
import type { z } from "zod";

interface SchemaObject {
  properties?: Record<string, { description?: string }>;
  required?: string[];
}
interface Parameter {
  name: string;
  in: string;
  required: boolean;
  description?: string;
}
interface Document {
  components: { schemas: Record<string, SchemaObject> };
  paths: Record<string, Record<string, { parameters?: Parameter[] }>>;
}

const document = async () => (await (await exports.default.fetch("http://worker/openapi.json")).json()) as Document;

const shape = (schema: unknown) => (schema as z.ZodObject).shape as Record<string, z.ZodType>;
const required = (schema: unknown) =>
  Object.entries(shape(schema))
    .filter(([, field]) => !field.safeParse(undefined).success)
    .map(([name]) => name)
    .sort();
const descriptions = (schema: unknown) =>
  Object.fromEntries(
    Object.entries(shape(schema)).flatMap(([name, field]) => {
      const description = edgeFieldMeta(field)?.description ?? field.description;
      return description ? [[name, description]] : [];
    }),
  );

describe("the OpenAPI document and the shared edge request schemas", () => {
  it.each([
    ["CreateVisitorGrant", createGrantBody],
    ["ChangeVisitorGrant", changeGrantBody],
    ["ClaimDelivery", claimDeliveryBody],
    ["ConfirmDeliveryClaim", confirmClaimBody],
  ])("%s is the shared body", async (name, schema) => {
    const component = (await document()).components.schemas[name];
    expect(Object.keys(component?.properties ?? {})).toEqual(Object.keys(shape(schema)));
    expect([...(component?.required ?? [])].sort()).toEqual(required(schema));
    const documented = Object.fromEntries(
      Object.entries(component?.properties ?? {}).flatMap(([field, property]) =>
        property.description ? [[field, property.description]] : [],
      ),
    );
    expect(documented).toEqual(descriptions(schema));
  });

  it.each([
    ["get", "/api/visitor-grants", "query", listGrantsQuery],
    ["get", "/api/events", "query", eventsQuery],
    ["get", "/api/lanes", "query", lanesQuery],
    ["get", "/api/lots/{parkingId}", "path", lotParams],
    ["patch", "/api/visitor-grants/{id}", "path", grantIdParams],
    ["delete", "/api/visitor-grants/{id}", "path", grantIdParams],
    ["post", "/api/deliveries/{id}/claim", "path", deliveryIdParams],
    ["post", "/api/deliveries/{id}/claim/confirm", "path", deliveryIdParams],
  ] as const)("%s %s: its %s parameters are the shared schema's", async (method, path, where, schema) => {
    const parameters = ((await document()).paths[path]?.[method]?.parameters ?? []).filter((p) => p.in === where);
    expect(parameters.map((p) => p.name)).toEqual(Object.keys(shape(schema)));
    expect(
      parameters
        .filter((p) => p.required)
        .map((p) => p.name)
        .sort(),
    ).toEqual(required(schema));
    const documented = Object.fromEntries(parameters.flatMap((p) => (p.description ? [[p.name, p.description]] : [])));
    expect(documented).toEqual(descriptions(schema));
  });
});
