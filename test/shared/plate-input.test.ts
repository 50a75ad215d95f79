/**
 * Plates as people type them (shared/src/platform/plate-input.ts): normalised to the platform's
 * form, refused only when still not a plate, and never changed when already exact.
 */
import { createGrantBody, normalisePlateInput, plateSchema, readPlateInput } from "@parkbridge/shared";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

describe("plates typed by people", () => {
  it.each([
    ["粤b·12345", "粤B12345"],
    ["粤B 12345", "粤B12345"],
    ["粤Ｂ１２３４５", "粤B12345"],
    ["粤Ｂ　１２３４５", "粤B12345"],
    [" 京a-d1234 5 ", "京AD12345"],
    ["鲁a.12345", "鲁A12345"],
    ["沪A・12345", "沪A12345"],
    ["苏E\u200B12345", "苏E12345"],
    ["粤b12345学", "粤B12345学"],
  ])("%s is read as %s, a valid plate", (typed, plate) => {
    expect(normalisePlateInput(typed)).toBe(plate);
    expect(readPlateInput(typed)).toEqual({ ok: true, plate, changed: true });
    expect(plateSchema.safeParse(plate).success).toBe(true);
  });

  it("leaves an exact plate alone and says nothing changed", () => {
    expect(readPlateInput("鲁A12345")).toEqual({ ok: true, plate: "鲁A12345", changed: false });
  });

  it.each([["粤B12"], ["B12345"], ["粤BO123"], ["粤B1234\u0000"], [""]])(
    "refuses %j, still not a plate after normalising, saying what it was read as",
    (typed) => {
      const reading = readPlateInput(typed);
      expect(reading.ok).toBe(false);
      if (!reading.ok) {
        expect(reading.reason).toMatch(/Chinese licence plate|control characters|must be/);
        if (reading.plate !== typed) expect(reading.reason).toContain(`read as ${JSON.stringify(reading.plate)}`);
      }
    },
  );

  it("is idempotent, and never alters what the plate rule already accepts", () => {
    const plates = fc
      .tuple(
        fc.constantFrom(..."京沪粤鲁苏浙川"),
        fc.constantFrom(..."ABCDEFGHJK"),
        fc.stringMatching(/^[A-HJ-NP-Z0-9]{5,6}$/),
      )
      .map(([province, office, rest]) => `${province}${office}${rest}`);
    fc.assert(
      fc.property(plates, (plate) => {
        expect(normalisePlateInput(plate)).toBe(plate);
        expect(normalisePlateInput(normalisePlateInput(plate.toLowerCase()))).toBe(plate);
      }),
    );
  });

  it("the grants API body normalises the plate and refuses what is still not one, naming it", () => {
    const body = {
      parkingId: "park1",
      vehicleCode: "粤b·12345",
      visitorName: "张三",
      visitorPhone: "1",
      endsAt: "2026-11-22",
    };
    expect(createGrantBody.parse(body).vehicleCode).toBe("粤B12345");
    const refused = createGrantBody.safeParse({ ...body, vehicleCode: "粤b 12" });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]).toMatchObject({ path: ["vehicleCode"] });
    expect(refused.error?.issues[0]?.message).toContain('read as "粤B12"');
  });
});
