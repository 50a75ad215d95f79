/**
 * docs/n8n-fields.md is generated from the node descriptions (n8n-nodes/scripts/field-reference.mts):
 * it fails here when a node's fields change and the file was not regenerated, or the file was edited.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { eboparkNodeOperations } from "../../n8n-nodes/nodes/Ebopark/operations";
import { edgeOperations } from "../../n8n-nodes/nodes/ParkbridgeEdge/operations";
import { platformOperations } from "../../n8n-nodes/nodes/ParkingOpenPlatform/operations";
import { FIELD_REFERENCE, fieldReference } from "../../n8n-nodes/scripts/field-reference.mjs";

const REGENERATE = "run `npx tsx n8n-nodes/scripts/field-reference.mts` to regenerate docs/n8n-fields.md";

describe("docs/n8n-fields.md", () => {
  it("is exactly what the node descriptions print", () => {
    expect(readFileSync(FIELD_REFERENCE, "utf8"), REGENERATE).toBe(fieldReference());
  });

  it("has a table for every operation of every node, and the trigger's", () => {
    const reference = fieldReference();
    for (const operation of [...platformOperations, ...eboparkNodeOperations, ...edgeOperations]) {
      expect(reference).toContain(`→ ${operation.name} (\`${operation.value}\`)`);
    }
    expect(reference).toContain("## Parking Events Trigger");
  });

  it("docs/n8n.md links to it instead of restating it", () => {
    const guide = readFileSync(new URL("../../docs/n8n.md", import.meta.url), "utf8");
    expect(guide).toContain("(n8n-fields.md)");
    expect(guide).not.toMatch(/^\| Parking Lot ID +\| `parkingId`/m);
  });
});
