/**
 * Plates as people type them, through the grants API (the body schema shared with the n8n node):
 * `粤b·12345` is granted as 粤B12345 on the platform and in the answer, lists find it by any
 * spelling, and what is still not a plate is refused naming vehicleCode and what it was read as.
 */
import { describe, expect, it } from "vitest";
import { api, authorisationOf } from "./visitors-support.js";

const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
// Digits of this run, so reruns against the same simulator do not collide.
const digits = String(Date.now() % 100_000).padStart(5, "0");

describe("the grants API and typed plates", () => {
  it("grants 粤b·… as 粤B…, says so in the answer, and lists it by another spelling", async () => {
    const typed = `粤b·${digits}`;
    const plate = `粤B${digits}`;
    const response = await api("/api/visitor-grants", {
      body: {
        parkingId: "park1",
        vehicleCode: typed,
        visitorName: "张三",
        visitorPhone: "13800138000",
        endsAt: inDays(1),
      },
    });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ vehicleCode: plate, status: "active" });
    expect(await authorisationOf("park1", plate)).toMatchObject({ vehicleCode: plate });
    const wide = `粤Ｂ　${[...digits].map((d) => String.fromCharCode(0xff10 + Number(d))).join("")}`;
    const listed = await api(`/api/visitor-grants?vehicleCode=${encodeURIComponent(wide)}`);
    expect(
      ((await listed.json()) as { items: Array<{ vehicleCode: string }> }).items.map((g) => g.vehicleCode),
    ).toEqual([plate]);
  });

  it("refuses what is still not a plate after normalising, naming the field and the reading", async () => {
    const response = await api("/api/visitor-grants", {
      body: { parkingId: "park1", vehicleCode: "粤b 12", visitorName: "张三", visitorPhone: "1", endsAt: inDays(1) },
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; field: string; message: string } };
    expect(body.error).toMatchObject({ code: "invalid_input", field: "vehicleCode" });
    expect(body.error.message).toMatch(/^vehicleCode must be a Chinese licence plate.*read as "粤B12"/);
  });
});
