import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from "n8n-workflow";
import { NodeConnectionTypes } from "n8n-workflow";
import { runForEachItem } from "../common/items";
import { runEdgeOperation } from "./execute";
import { eventDescription } from "./resources/event";
import { laneDescription } from "./resources/lane";
import { lotDescription } from "./resources/lot";
import { visitorGrantDescription } from "./resources/visitorGrant";
import { EDGE_CREDENTIAL } from "./transport";

export class ParkbridgeEdge implements INodeType {
  description: INodeTypeDescription = {
    displayName: "Parkbridge Edge",
    name: "parkbridgeEdge",
    icon: { light: "file:../../icons/edge.svg", dark: "file:../../icons/edge.dark.svg" },
    group: ["transform"],
    version: 1,
    subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
    description: "Visitor grants, parking events, live occupancy and lane status from the parkbridge edge Worker",
    defaults: { name: "Parkbridge Edge" },
    usableAsTool: true,
    inputs: [NodeConnectionTypes.Main],
    outputs: [NodeConnectionTypes.Main],
    credentials: [{ name: EDGE_CREDENTIAL, required: true }],
    properties: [
      {
        displayName: "Resource",
        name: "resource",
        type: "options",
        noDataExpression: true,
        options: [
          { name: "Event", value: "event" },
          { name: "Lane", value: "lane" },
          { name: "Lot", value: "lot" },
          { name: "Visitor Grant", value: "visitorGrant" },
        ],
        default: "visitorGrant",
      },
      ...visitorGrantDescription,
      ...eventDescription,
      ...lotDescription,
      ...laneDescription,
    ],
  };

  async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
    return await runForEachItem(this, async (itemIndex) => {
      const resource = this.getNodeParameter("resource", itemIndex) as string;
      const operation = this.getNodeParameter("operation", itemIndex) as string;
      return await runEdgeOperation(this, resource, operation, itemIndex);
    });
  }
}
