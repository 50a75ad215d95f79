import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from "n8n-workflow";
import { NodeConnectionTypes } from "n8n-workflow";
import { describeOperations, operationSubtitle, resourceProperty } from "../common/catalogue";
import { runForEachItem } from "../common/items";
import { runEdgeOperation } from "./execute";
import { edgeOperations, edgeResources } from "./operations";
import { EDGE_CREDENTIAL } from "./transport";

export class ParkbridgeEdge implements INodeType {
  description: INodeTypeDescription = {
    displayName: "Parkbridge Edge",
    name: "parkbridgeEdge",
    icon: { light: "file:../../icons/edge.svg", dark: "file:../../icons/edge.dark.svg" },
    group: ["transform"],
    version: 1,
    subtitle: operationSubtitle(edgeOperations),
    description: "Visitor grants, parking events, live occupancy and lane status from the parkbridge edge Worker",
    defaults: { name: "Parkbridge Edge" },
    usableAsTool: true,
    inputs: [NodeConnectionTypes.Main],
    outputs: [NodeConnectionTypes.Main],
    credentials: [{ name: EDGE_CREDENTIAL, required: true }],
    properties: [resourceProperty(edgeResources, "visitorGrant"), ...describeOperations(edgeOperations)],
  };

  async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
    return await runForEachItem(this, async (itemIndex) => {
      const resource = this.getNodeParameter("resource", itemIndex) as string;
      const operation = this.getNodeParameter("operation", itemIndex) as string;
      return await runEdgeOperation(this, resource, operation, itemIndex);
    });
  }
}
