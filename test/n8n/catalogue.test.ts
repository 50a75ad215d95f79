/**
 * The one catalogue-to-n8n layer (n8n-nodes/nodes/common/catalogue.ts), through the real nodes:
 * every catalogue field is a parameter of its operation, and each kind of field reads back what
 * n8n gives for it (typed values, a multi-select's list, comma text, JSON text, date-times) into
 * what the catalogue's schema accepts. Parameters are resolved by n8n-workflow's NodeHelpers.
 */
import {
  createGrantBody,
  eboparkOperations,
  eventsQuery,
  listGrantsQuery,
  operations,
  validateRequest,
} from "@parkbridge/shared";
import { describe, expect, it } from "vitest";
import type { INodeProperties, INodeType } from "../../n8n-nodes/node_modules/n8n-workflow/dist/esm/index.js";
import { NodeHelpers } from "../../n8n-nodes/node_modules/n8n-workflow/dist/esm/index.js";
import { type CatalogueOperation, readFields } from "../../n8n-nodes/nodes/common/catalogue";
import { enumValues } from "../../n8n-nodes/nodes/common/schema";
import { Ebopark } from "../../n8n-nodes/nodes/Ebopark/Ebopark.node";
import { eboparkNodeOperations } from "../../n8n-nodes/nodes/Ebopark/operations";
import { edgeOperations } from "../../n8n-nodes/nodes/ParkbridgeEdge/operations";
import { ParkbridgeEdge } from "../../n8n-nodes/nodes/ParkbridgeEdge/ParkbridgeEdge.node";
import { platformOperations } from "../../n8n-nodes/nodes/ParkingOpenPlatform/operations";
import { ParkingOpenPlatform } from "../../n8n-nodes/nodes/ParkingOpenPlatform/ParkingOpenPlatform.node";
import { executeContext } from "./harness";

const nodes: Array<[INodeType, CatalogueOperation[]]> = [
  [new ParkingOpenPlatform(), platformOperations],
  [new Ebopark(), eboparkNodeOperations],
  [new ParkbridgeEdge(), edgeOperations],
];

/** The parameters n8n shows for one operation: top-level ones, and the options of its collections. */
function shownParameters(node: INodeType, operation: CatalogueOperation) {
  const values = { resource: operation.resource, operation: operation.value };
  const shown = node.description.properties.filter((property) =>
    NodeHelpers.displayParameter(values, property, { typeVersion: 1 } as never, node.description),
  );
  const top = new Map(shown.map((property) => [property.name, property]));
  const inCollections = new Map(
    shown
      .filter((property) => property.type === "collection")
      .flatMap((property) => (property.options as INodeProperties[]).map((inner) => [inner.name, inner] as const)),
  );
  return { top, inCollections };
}

/** Reads one operation's fields as the node would, for the given parameter values. */
function read(node: INodeType, operation: CatalogueOperation, parameters: Record<string, unknown>) {
  const context = executeContext(node, {
    parameters: { resource: operation.resource, operation: operation.value, ...parameters },
  });
  return readFields(context, operation, 0);
}

const operationOf = (list: CatalogueOperation[], value: string, resource?: string) => {
  const found = list.find((operation) => operation.value === value && (!resource || operation.resource === resource));
  if (!found) throw new Error(`no operation ${value}`);
  return found;
};

describe("every catalogue field is a parameter of its operation", () => {
  for (const [node, list] of nodes) {
    it(`${node.description.displayName}: required fields at the top, optional ones where the operation puts them`, () => {
      for (const operation of list) {
        const { top, inCollections } = shownParameters(node, operation);
        for (const field of operation.fields) {
          const where = operation.optionalFields ?? "additionalFields";
          const property =
            field.optional && where !== "top" ? inCollections.get(field.parameter) : top.get(field.parameter);
          expect(property, `${operation.resource}.${operation.value}: ${field.name}`).toBeDefined();
          expect(property?.displayName).toBe(field.title);
          if (!field.optional) expect(property?.required, field.name).toBe(true);
        }
        expect(top.has("returnAll"), `${operation.value} Return All`).toBe(operation.paged === true);
      }
    });
  }

  it("the platform's 17 operations, Ebopark's calls and the edge's routes are all there", () => {
    expect(platformOperations.map((operation) => operation.value).sort()).toEqual(
      Object.keys(operations)
        .filter((id) => id !== "getAccessToken")
        .sort(),
    );
    expect(eboparkNodeOperations.map((operation) => operation.value)).toEqual([
      ...Object.keys(eboparkOperations),
      "customCall",
    ]);
    expect(edgeOperations.map((operation) => `${operation.method} ${operation.path}`)).toEqual([
      "POST /api/visitor-grants",
      "PATCH /api/visitor-grants/{id}",
      "DELETE /api/visitor-grants/{id}",
      "GET /api/visitor-grants",
      "GET /api/events",
      "POST /api/backfill",
      "GET /api/backfill/{id}",
      "GET /api/personal-data",
      "DELETE /api/personal-data",
      "GET /api/lots/{parkingId}",
      "GET /api/lanes",
    ]);
  });

  it("an edge field's choices are exactly its schema's values", () => {
    let checked = 0;
    for (const operation of edgeOperations) {
      for (const field of operation.fields) {
        const values = enumValues(field.schema);
        if (!values) continue;
        checked++;
        expect(field.options?.map((option) => option.value).sort(), field.name).toEqual([...values].sort());
        if (field.default !== undefined) expect(values, field.name).toContain(field.default);
      }
    }
    // status, source and personalData of the grant list, type, platform, source and personalData of the events query,
    // platform of a lot and of the lanes
    expect(checked).toBe(8);
  });

  it("paging stays the node's: the paged catalogues show no page, cursor or limit field", () => {
    // Ebopark's QueryDeduList is not paged by the node: its page and pageSize are the user's.
    for (const list of [platformOperations, edgeOperations]) {
      for (const operation of list) {
        const names = operation.fields.map((field) => field.name);
        for (const paging of ["pageNo", "pageSize", "cursor", "limit"]) expect(names).not.toContain(paging);
      }
    }
  });
});

const baseVehicle = {
  parkingId: { __rl: true, mode: "list", value: "park1" },
  vehicleCode: "鲁A12345",
  vehicleType: "2",
  userName: "Li Lei",
  userPhoneNumber: "13800138000",
  startTime: "2026-11-22",
  endTime: "2026-11-30",
};

describe("each kind of field reads back what the catalogue accepts", () => {
  const platform = new ParkingOpenPlatform();
  const ebopark = new Ebopark();
  const edge = new ParkbridgeEdge();
  const addVehicle = operationOf(platformOperations, "addVehicle");

  it("text is trimmed; a number from an expression becomes text; a multi-select's list is joined", () => {
    const input = read(platform, addVehicle, {
      ...baseVehicle,
      parkingId: { __rl: true, mode: "id", value: " park1 " },
      vehicleCode: " 鲁A12345 ",
      userPhoneNumber: 13800138000,
      startTime: "2026-11-21T20:30:00Z",
      additionalFields: { laneNos: ["1", "2"], lotNum: "2", remark: "" },
    });
    expect(input).toEqual({
      parkingId: "park1",
      vehicleCode: "鲁A12345",
      vehicleType: "2",
      userName: "Li Lei",
      userPhoneNumber: "13800138000",
      // 20:30 UTC on the 21st is the 22nd in China Standard Time.
      startTime: "2026-11-22",
      endTime: "2026-11-30",
      laneNos: "1,2",
      lotNum: 2,
    });
    expect(validateRequest("addVehicle", input as never)).toMatchObject({ laneNos: "1,2", lotNum: 2 });
    // Typed as text, the lanes are taken as they are.
    expect(read(platform, addVehicle, { ...baseVehicle, additionalFields: { laneNos: "3,4" } }).laneNos).toBe("3,4");
  });

  it("a number field takes a number or numeric text; other text is left for the schema to refuse", () => {
    const issueCoupon = operationOf(platformOperations, "issueCoupon");
    const base = { parkingId: { __rl: true, mode: "id", value: "park1" }, vehicleCode: "鲁A12345", couponType: 2 };
    expect(read(platform, issueCoupon, { ...base, discount: "3" }).discount).toBe(3);
    expect(read(platform, issueCoupon, { ...base, discount: 4 }).discount).toBe(4);
    const refused = read(platform, issueCoupon, { ...base, discount: "three" });
    expect(refused.discount).toBe("three");
    expect(() => validateRequest("issueCoupon", refused as never)).toThrow(/discount/);
  });

  it("a list takes comma-separated text, a JSON array or an expression's list; JSON takes text or a value", () => {
    const addMonthly = operationOf(eboparkNodeOperations, "AddMonthCarV2");
    const spaces = [{ lotNo: "B-12", chargeType: 1, startTime: "2026-12-01", endTime: "2026-12-31" }];
    const base = { ParkCode: "park2", UserName: "Zhang San", userMobile: "13700137000" };
    const fromText = read(ebopark, addMonthly, {
      ...base,
      CarNos: "京AM0N77, 京AM0N78,",
      lotDesc: JSON.stringify(spaces),
    });
    expect(fromText).toMatchObject({ CarNos: ["京AM0N77", "京AM0N78"], lotDesc: spaces });
    expect(eboparkOperations.AddMonthCarV2.request.safeParse(fromText).success).toBe(true);
    const fromJson = read(ebopark, addMonthly, { ...base, CarNos: '["京AM0N77"]', lotDesc: spaces });
    expect(fromJson).toMatchObject({ CarNos: ["京AM0N77"], lotDesc: spaces });
    expect(read(ebopark, addMonthly, { ...base, CarNos: [" 京AM0N77 "], lotDesc: "[]" }).CarNos).toEqual(["京AM0N77"]);
    expect(() => read(ebopark, addMonthly, { ...base, CarNos: "京AM0N77", lotDesc: "[{lotNo" })).toThrow(
      /^Spaces \(lotDesc\) must be valid JSON$/,
    );
  });

  it("a choice is passed as chosen, a number kept a number", () => {
    const coupons = operationOf(eboparkNodeOperations, "QueryDeduList");
    const input = read(ebopark, coupons, { parkCode: "park2", page: 1, pageSize: 10, additionalFields: { status: 0 } });
    expect(input).toEqual({ parkCode: "park2", page: 1, pageSize: 10, status: 0 });
    expect(eboparkOperations.QueryDeduList.request.safeParse(input).success).toBe(true);
  });

  it("edge grant times are the lot's local time; a bare date is sent as it is (the Worker ends it at 23:59:59)", () => {
    const grant = operationOf(edgeOperations, "grant");
    const base = {
      parkingId: "park1",
      vehicleCode: "鲁A12345",
      visitorName: "Wang Wu",
      visitorPhone: "13600136000",
    };
    const input = read(edge, grant, {
      ...base,
      endsAt: "2026-11-22T10:00:00Z",
      additionalFields: { startsAt: "2026-11-22 09:00", laneNos: ["1", "2"] },
    });
    expect(input).toEqual({ ...base, endsAt: "2026-11-22 18:00:00", startsAt: "2026-11-22 09:00:00", laneNos: "1,2" });
    expect(createGrantBody.safeParse(input).success).toBe(true);
    expect(read(edge, grant, { ...base, endsAt: "2026-11-30" }).endsAt).toBe("2026-11-30");
    expect(() => read(edge, grant, { ...base, endsAt: "tomorrow" })).toThrow(/^Ends At \(endsAt\) must be a date-time/);
  });

  it("edge event filters: instants in UTC from local or offset times; empty filters are left out", () => {
    const query = operationOf(edgeOperations, "query");
    const input = read(edge, query, {
      filters: { type: "cameraStatus", since: "2026-11-22 08:00", until: "2026-11-22T12:00:00+08:00", parkingId: "" },
    });
    expect(input).toEqual({
      type: "cameraStatus",
      since: "2026-11-22T00:00:00.000Z",
      until: "2026-11-22T04:00:00.000Z",
    });
    expect(eventsQuery.safeParse(input).success).toBe(true);
    const list = operationOf(edgeOperations, "list");
    const grants = read(edge, list, { filters: { status: "active", source: "callback" } });
    expect(grants).toEqual({ status: "active", source: "callback" });
    expect(listGrantsQuery.safeParse(grants).success).toBe(true);
  });
});
