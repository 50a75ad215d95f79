/**
 * The canvas subtitle of each action node names the chosen operation ("Issue Coupon"), not its raw
 * values (`issueCoupon: coupon`): evaluated by n8n-workflow's own expression engine, as the
 * editor does, for every resource and operation the node offers.
 */
import { describe, expect, it } from "vitest";
import type { INode, INodeType } from "../../n8n-nodes/node_modules/n8n-workflow/dist/esm/index.js";
import { Workflow } from "../../n8n-nodes/node_modules/n8n-workflow/dist/esm/index.js";
import type { CatalogueOperation } from "../../n8n-nodes/nodes/common/catalogue";
import { Ebopark } from "../../n8n-nodes/nodes/Ebopark/Ebopark.node";
import { eboparkNodeOperations } from "../../n8n-nodes/nodes/Ebopark/operations";
import { edgeOperations } from "../../n8n-nodes/nodes/ParkbridgeEdge/operations";
import { ParkbridgeEdge } from "../../n8n-nodes/nodes/ParkbridgeEdge/ParkbridgeEdge.node";
import { platformOperations } from "../../n8n-nodes/nodes/ParkingOpenPlatform/operations";
import { ParkingOpenPlatform } from "../../n8n-nodes/nodes/ParkingOpenPlatform/ParkingOpenPlatform.node";

function subtitleOf(type: INodeType, parameters: Record<string, string>): unknown {
  const node: INode = {
    id: "1",
    name: "Node",
    type: type.description.name,
    typeVersion: 1,
    position: [0, 0],
    parameters,
  };
  const nodeTypes = { getByName: () => type, getByNameAndVersion: () => type, getKnownTypes: () => ({}) };
  const workflow = new Workflow({ nodes: [node], connections: {}, active: false, nodeTypes: nodeTypes as never });
  return workflow.expression.getSimpleParameterValue(node, type.description.subtitle as string, "internal", {});
}

describe.each([
  ["Parking Open Platform", new ParkingOpenPlatform(), platformOperations],
  ["Ebopark", new Ebopark(), eboparkNodeOperations],
  ["Parkbridge Edge", new ParkbridgeEdge(), edgeOperations],
] as Array<[string, INodeType, CatalogueOperation[]]>)("%s", (_name, type, operations) => {
  it("shows the operation's action as its subtitle, for every operation", () => {
    for (const operation of operations) {
      expect(subtitleOf(type, { resource: operation.resource, operation: operation.value })).toBe(operation.action);
    }
  });
});

it("Issue Coupon reads as such (the case the issue saw)", () => {
  expect(subtitleOf(new ParkingOpenPlatform(), { resource: "coupon", operation: "issueCoupon" })).toBe("Issue Coupon");
});
