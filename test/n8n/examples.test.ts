/**
 * The example workflows in examples/ use our nodes with parameters the nodes really have: every
 * parameter set in an example is one the node's description shows for that resource/operation,
 * and n8n reports no parameter issues (required values present, options valid).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { INode, INodeType } from "../../n8n-nodes/node_modules/n8n-workflow/dist/esm/index.js";
import { NodeHelpers } from "../../n8n-nodes/node_modules/n8n-workflow/dist/esm/index.js";
import { Ebopark } from "../../n8n-nodes/nodes/Ebopark/Ebopark.node";
import { GroupRobot } from "../../n8n-nodes/nodes/GroupRobot/GroupRobot.node";
import { ParkbridgeEdge } from "../../n8n-nodes/nodes/ParkbridgeEdge/ParkbridgeEdge.node";
import { ParkingEventsTrigger } from "../../n8n-nodes/nodes/ParkingEventsTrigger/ParkingEventsTrigger.node";
import { ParkingOpenPlatform } from "../../n8n-nodes/nodes/ParkingOpenPlatform/ParkingOpenPlatform.node";

const ours: Record<string, INodeType> = Object.fromEntries(
  [new ParkingOpenPlatform(), new ParkingEventsTrigger(), new Ebopark(), new ParkbridgeEdge(), new GroupRobot()].map(
    (node) => [`n8n-nodes-parkbridge.${node.description.name}`, node],
  ),
);

const dir = join(import.meta.dirname, "../../examples");
const files = readdirSync(dir).filter((name) => name.endsWith(".json"));

describe("example workflows", () => {
  it("there are the documented examples", () => {
    expect(files.sort()).toEqual([
      "daily-occupancy-report.json",
      "lane-camera-offline-alert.json",
      "monthly-pass-expiry-reminder.json",
      "occupancy-alert.json",
      "overstay-alert.json",
      "visitor-access-form.json",
      "visitor-approval.json",
    ]);
  });

  for (const file of files) {
    it(`${file}: our nodes' parameters exist and have no issues`, () => {
      const workflow = JSON.parse(readFileSync(join(dir, file), "utf8")) as { nodes: INode[] };
      const mine = workflow.nodes.filter((node) => node.type in ours);
      expect(mine.length).toBeGreaterThan(0);
      for (const node of mine) {
        const description = (ours[node.type] as INodeType).description;
        const resolved = NodeHelpers.getNodeParameters(
          description.properties,
          node.parameters,
          true,
          false,
          node,
          description,
        );
        // Parameters n8n would drop (not shown for this resource/operation) are typos in the example.
        expect(Object.keys(node.parameters).filter((name) => !(name in (resolved ?? {})))).toEqual([]);
        expect(NodeHelpers.getNodeParametersIssues(description.properties, node, description)).toBeNull();
        for (const credential of Object.keys(node.credentials ?? {})) {
          expect(description.credentials?.map((c) => c.name)).toContain(credential);
        }
      }
    });
  }
});
