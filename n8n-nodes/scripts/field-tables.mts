// Prints the field tables of docs/n8n.md from the node descriptions themselves (which are
// generated from the shared catalogue), so the docs never restate a field list by hand.
// Usage: npx tsx n8n-nodes/scripts/field-tables.mts > /tmp/tables.md
import type { INodeProperties, INodeType } from "n8n-workflow";
import { Ebopark } from "../nodes/Ebopark/Ebopark.node.js";
import { ParkbridgeEdge } from "../nodes/ParkbridgeEdge/ParkbridgeEdge.node.js";
import { ParkingEventsTrigger } from "../nodes/ParkingEventsTrigger/ParkingEventsTrigger.node.js";
import { ParkingOpenPlatform } from "../nodes/ParkingOpenPlatform/ParkingOpenPlatform.node.js";

const cell = (text: unknown) =>
  String(text ?? "")
    .replace(/\|/g, "\\|")
    .replace(/\n/g, " ")
    .replace(/<a [^>]*>|<\/a>/g, "");

function typeOf(p: INodeProperties): string {
  if (p.type === "resourceLocator") return "picker (list or ID)";
  if (p.type === "options" && p.typeOptions?.loadOptionsMethod) return "dropdown (loaded)";
  if (p.type === "multiOptions" && p.typeOptions?.loadOptionsMethod) return "multi-select (loaded)";
  if (p.type === "options" || p.type === "multiOptions") {
    return `${p.type === "options" ? "dropdown" : "multi-select"}: ${(p.options ?? []).map((o) => `${"value" in o ? o.value : ""} = ${o.name}`).join(", ")}`;
  }
  return p.type;
}

function tables(node: INodeType) {
  const props = node.description.properties;
  const resources = props.find((p) => p.name === "resource")?.options ?? [{ name: "", value: "" }];
  const out: string[] = [`### ${node.description.displayName}`, ""];
  for (const resource of resources) {
    const rValue = "value" in resource ? resource.value : "";
    const operations = props.find(
      (p) => p.name === "operation" && (p.displayOptions?.show?.resource as unknown[] | undefined)?.includes(rValue),
    );
    for (const op of operations?.options ?? []) {
      const oValue = "value" in op ? op.value : "";
      out.push(`#### ${resource.name} → ${op.name} (\`${oValue}\`)`, "", cell(op.description), "");
      out.push("| Field | Parameter | Type | Required | Description |", "|---|---|---|---|---|");
      for (const p of props) {
        const show = p.displayOptions?.show;
        if (
          !show ||
          !(show.resource as unknown[])?.includes(rValue) ||
          !(show.operation as unknown[])?.includes(oValue)
        )
          continue;
        if (p.type === "collection") {
          for (const inner of (p.options ?? []) as INodeProperties[]) {
            out.push(
              `| ${p.displayName} → ${inner.displayName} | \`${inner.name}\` | ${cell(typeOf(inner))} | no | ${cell(inner.description)} |`,
            );
          }
        } else {
          out.push(
            `| ${p.displayName} | \`${p.name}\` | ${cell(typeOf(p))} | ${p.required ? "yes" : "no"} | ${cell(p.description)} |`,
          );
        }
      }
      out.push("");
    }
  }
  return out.join("\n");
}

for (const node of [new ParkingOpenPlatform(), new Ebopark(), new ParkbridgeEdge()]) console.log(tables(node));
const trigger = new ParkingEventsTrigger().description;
console.log(`### ${trigger.displayName}\n\n| Field | Parameter | Type | Description |\n|---|---|---|---|`);
for (const p of trigger.properties)
  console.log(`| ${p.displayName} | \`${p.name}\` | ${cell(typeOf(p))} | ${cell(p.description)} |`);
