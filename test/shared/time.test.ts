import {
  CHINA_STANDARD_OFFSET_MINUTES,
  endOfPlatformDay,
  formatPlatformTime,
  normalisePlatformTime,
  parsePlatformTime,
} from "@parkbridge/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Every expectation states its instant in UTC (…Z) and its wall clock in China Standard Time (UTC+8).
describe("platform time is China Standard Time (UTC+8), whatever the machine's zone", () => {
  // Run in a zone that is neither UTC nor UTC+8 (and has daylight saving), so a helper that
  // used the machine's local time would fail.
  const zone = process.env.TZ;
  beforeAll(() => {
    process.env.TZ = "America/New_York";
  });
  afterAll(() => {
    if (zone === undefined) delete process.env.TZ;
    else process.env.TZ = zone;
  });

  it("the machine's zone really is another one here", () => {
    expect(new Date("2026-11-22T15:59:00Z").getHours()).toBe(10);
  });

  it("the offset is +8 h", () => {
    expect(CHINA_STANDARD_OFFSET_MINUTES).toBe(480);
  });

  it("parsePlatformTime: 2026-11-22 23:59 local == 2026-11-22T15:59Z", () => {
    expect(parsePlatformTime("2026-11-22 23:59").toISOString()).toBe("2026-11-22T15:59:00.000Z");
    expect(parsePlatformTime("2026-11-22 23:59:59").toISOString()).toBe("2026-11-22T15:59:59.000Z");
  });

  it("parsePlatformTime: a date is local midnight, the previous day 16:00 UTC", () => {
    expect(parsePlatformTime("2026-11-22").toISOString()).toBe("2026-11-21T16:00:00.000Z");
  });

  it("parsePlatformTime: early local morning is still the previous UTC day", () => {
    expect(parsePlatformTime("2026-01-01 07:59:59").toISOString()).toBe("2025-12-31T23:59:59.000Z");
    expect(parsePlatformTime("2026-01-01 08:00:00").toISOString()).toBe("2026-01-01T00:00:00.000Z");
  });

  it("parsePlatformTime accepts the platform's unpadded strings", () => {
    expect(parsePlatformTime("2021-10-2 15:30:49").toISOString()).toBe("2021-10-02T07:30:49.000Z");
  });

  it.each(["2026-02-30", "2026-11-22 24:00", "22/11/2026", "", "2026-11-22T10:00:00Z"])(
    "parsePlatformTime refuses %j",
    (value) => {
      expect(() => parsePlatformTime(value)).toThrow(RangeError);
    },
  );

  it("formatPlatformTime: 2026-11-22T15:59Z is 2026-11-22 23:59 local, in each format", () => {
    const instant = new Date("2026-11-22T15:59:07Z");
    expect(formatPlatformTime(instant, "date")).toBe("2026-11-22");
    expect(formatPlatformTime(instant, "minute")).toBe("2026-11-22 23:59");
    expect(formatPlatformTime(instant, "second")).toBe("2026-11-22 23:59:07");
  });

  it("formatPlatformTime: 16:00Z is already the next local day", () => {
    expect(formatPlatformTime("2026-11-22T16:00:00Z", "second")).toBe("2026-11-23 00:00:00");
    expect(formatPlatformTime(Date.UTC(2026, 11, 31, 16, 0, 0), "date")).toBe("2027-01-01");
  });

  it("formatPlatformTime refuses what is not an instant", () => {
    expect(() => formatPlatformTime("not a date", "date")).toThrow(RangeError);
    expect(() => formatPlatformTime(Number.NaN, "date")).toThrow(RangeError);
  });

  it("format and parse are inverse at second precision", () => {
    for (const iso of ["2026-11-22T15:59:59Z", "2028-02-28T16:00:00Z", "2026-06-30T23:59:59Z"]) {
      expect(parsePlatformTime(formatPlatformTime(iso, "second")).toISOString()).toBe(new Date(iso).toISOString());
    }
  });

  it("endOfPlatformDay: the last second of the local day (23:59:59 local == 15:59:59Z)", () => {
    expect(endOfPlatformDay("2026-11-22").toISOString()).toBe("2026-11-22T15:59:59.000Z");
    expect(endOfPlatformDay("2026-11-22 08:30:00").toISOString()).toBe("2026-11-22T15:59:59.000Z");
    expect(endOfPlatformDay("2028-02-29").toISOString()).toBe("2028-02-29T15:59:59.000Z");
  });

  it("another offset can be given explicitly", () => {
    expect(parsePlatformTime("2026-11-22 23:59", 0).toISOString()).toBe("2026-11-22T23:59:00.000Z");
    expect(formatPlatformTime("2026-11-22T15:59:00Z", "minute", 0)).toBe("2026-11-22 15:59");
  });

  it("normalisePlatformTime re-pads and keeps the precision", () => {
    expect(normalisePlatformTime("2021-10-2 5:3:9")).toBe("2021-10-02 05:03:09");
    expect(normalisePlatformTime("2021-10-2 5:3")).toBe("2021-10-02 05:03");
    expect(normalisePlatformTime("2021-1-2")).toBe("2021-01-02");
    expect(normalisePlatformTime("whenever")).toBe("whenever");
  });
});
