/**
 * Personal data in workerd with real D1 and Queues (docs/privacy.md): masked in every API answer,
 * delivery and the status page unless opted in; one person exported and erased everywhere (a scan
 * of every table and stored body), their events still counted; nothing erased while a grant of
 * theirs is open.
 */
import { env } from "cloudflare:workers";
import { formatPlatformTime } from "@parkbridge/shared";
import { describe, expect, it } from "vitest";
import { erasePersonalData, exportPersonalData, subjectOf } from "../../workers/src/privacy/erasure.js";
import { loadStatus } from "../../workers/src/status/queries.js";
import { statusPage } from "../../workers/src/status/status-page.js";
import { eventually, hookName, hookUrl, sinkRequests } from "./delivery-support.js";
import { api, apiJson, sendCallback, sendReport, uniqueLot, vehicleAccess } from "./ingest-support.js";
import { countingD1 } from "./visitors-support.js";

let serial = Math.floor(Math.random() * 9000);
/** A person of their own per test: a plate, a phone and a name no other row holds. */
function person() {
  serial += 1;
  const digits = String(10_000 + ((serial * 7919) % 90_000));
  const names = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨";
  return {
    serial,
    plate: `粤B${digits}`,
    phone: `139${digits}${String(serial % 1000).padStart(3, "0")}`,
    name: `${names[serial % 16]}${names[(serial >> 4) % 16]}${names[(serial >> 8) % 16]}测`,
  };
}

const today = () => formatPlatformTime(Date.now(), "date");
const tomorrow = () => formatPlatformTime(Date.now() + 86_400_000, "date");
const nowLocal = () => formatPlatformTime(Date.now(), "second");

function visitorBooking(lot: string, who: ReturnType<typeof person>) {
  return {
    callbackType: "PARKING_VISITOR",
    data: {
      parkingId: lot,
      vehicleCode: who.plate,
      userName: who.name,
      userPhoneNumber: who.phone,
      startTime: today(),
      endTime: tomorrow(),
      memo: `拜访 ${who.name}`,
    },
  };
}

const access = (lot: string, who: ReturnType<typeof person>, direction: "0" | "1", inside: number) =>
  vehicleAccess({
    parkingId: lot,
    vehicleCode: who.plate,
    userName: who.name,
    phoneNum: who.phone,
    accessType: direction,
    time: nowLocal(),
    inParkNum: inside,
    photo: `https://img.example.com/${encodeURIComponent(who.plate)}.jpg`,
  });

async function ok(response: Response | Promise<Response>) {
  const answer = await response;
  expect(answer.status, await answer.clone().text()).toBe(200);
  return answer;
}

/** Every row of every table, as text (the scan for traces of a person). */
async function everyStoredText(): Promise<string> {
  const { results: tables } = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'",
  ).all<{ name: string }>();
  const texts: string[] = [];
  for (const { name } of tables) {
    const { results } = await env.DB.prepare(`SELECT * FROM ${name}`).all();
    texts.push(JSON.stringify(results));
  }
  return texts.join("\n");
}

/** The spellings a value may take in stored text: as is, and JSON-escaped (\uXXXX). */
const spellings = (value: string) => [
  value,
  JSON.stringify(value).slice(1, -1),
  value.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`),
];

function expectNoTrace(text: string, ...values: string[]) {
  for (const value of values) for (const spelling of spellings(value)) expect(text).not.toContain(spelling);
}

interface EventItem {
  id: string;
  data: Record<string, unknown>;
  vehicleCode: string | null;
}

async function storeAccessAndBooking(lot: string, who: ReturnType<typeof person>) {
  await ok(sendCallback(access(lot, who, "0", 5)));
  await ok(sendCallback(access(lot, who, "1", 4)));
  await ok(sendCallback(visitorBooking(lot, who)));
}

async function grantOf(plate: string) {
  const { items } = await apiJson<{
    items: Array<{ id: string; status: string; visitorPhone: string; visitorName: string }>;
  }>(`/api/visitor-grants?vehicleCode=${encodeURIComponent(plate)}`);
  return items[0];
}

describe("minimisation", () => {
  it("masks phones and shortens names in events; a full read shows them and is audited", async () => {
    const lot = uniqueLot("pd");
    const who = person();
    await ok(sendCallback(access(lot, who, "0", 1)));

    const masked = await apiJson<{ items: EventItem[] }>(`/api/events?parkingId=${lot}`);
    expect(masked.items[0]?.data).toMatchObject({
      vehicleCode: who.plate,
      phoneNum: `${who.phone.slice(0, 3)}****${who.phone.slice(-4)}`,
      userName: `${who.name[0]}***`,
    });
    expectNoTrace(JSON.stringify(masked), who.phone, who.name);

    const before = await env.DB.prepare(
      "SELECT count(*) AS n FROM personal_data_audit WHERE action = 'read_full'",
    ).first("n");
    const full = await apiJson<{ items: EventItem[] }>(`/api/events?parkingId=${lot}&personalData=full`);
    expect(full.items[0]?.data).toMatchObject({ phoneNum: who.phone, userName: who.name });
    const audit = await env.DB.prepare(
      "SELECT * FROM personal_data_audit WHERE action = 'read_full' ORDER BY at DESC, id DESC LIMIT 1",
    ).first<{ detail: string; actor: string }>();
    expect(
      await env.DB.prepare("SELECT count(*) AS n FROM personal_data_audit WHERE action = 'read_full'").first("n"),
    ).toBe(Number(before) + 1);
    expect(JSON.parse(audit?.detail ?? "{}")).toMatchObject({
      path: "/api/events",
      query: { parkingId: lot, personalData: "full" },
    });
  });

  it("shows grants' names as stored and their phones masked (also in the audit trail) unless asked", async () => {
    const lot = uniqueLot("pd");
    const who = person();
    await ok(sendCallback(visitorBooking(lot, who)));
    const grant = await grantOf(who.plate);
    expect(grant).toMatchObject({
      visitorName: who.name,
      visitorPhone: `${who.phone.slice(0, 3)}****${who.phone.slice(-4)}`,
    });

    const one = await apiJson<{ audit: Array<{ detail: { booking?: Record<string, unknown> } }> }>(
      `/api/visitor-grants/${grant?.id}`,
    );
    expectNoTrace(JSON.stringify(one), who.phone);
    expect(one.audit[0]?.detail.booking?.userPhoneNumber).toBe(`${who.phone.slice(0, 3)}****${who.phone.slice(-4)}`);

    const full = await apiJson<{
      visitorPhone: string;
      audit: Array<{ detail: { booking?: Record<string, unknown> } }>;
    }>(`/api/visitor-grants/${grant?.id}?personalData=full`);
    expect(full.visitorPhone).toBe(who.phone);
    expect(full.audit[0]?.detail.booking?.userPhoneNumber).toBe(who.phone);
  });

  it("delivers masked data without the raw body by default, and all of it to a subscription that opted in", async () => {
    const lot = uniqueLot("pd");
    const who = person();
    const maskedHook = hookName("pd-masked");
    const fullHook = hookName("pd-full");
    const subscribe = (name: string, personalData?: string) =>
      apiJson<{ personalData: string }>("/api/subscriptions", {
        method: "POST",
        body: JSON.stringify({ url: hookUrl(name), parkingId: lot, ...(personalData ? { personalData } : {}) }),
      });
    expect((await subscribe(maskedHook)).personalData).toBe("masked");
    expect((await subscribe(fullHook, "full")).personalData).toBe("full");
    await ok(sendCallback(access(lot, who, "0", 1)));

    const [masked] = await eventually(async () => {
      const requests = await sinkRequests(maskedHook);
      expect(requests.length).toBeGreaterThan(0);
      return requests;
    });
    const [full] = await eventually(async () => {
      const requests = await sinkRequests(fullHook);
      expect(requests.length).toBeGreaterThan(0);
      return requests;
    });
    const maskedBody = JSON.parse(masked?.body ?? "{}");
    expect(maskedBody.raw).toBeUndefined();
    expect(maskedBody.data).toMatchObject({
      vehicleCode: who.plate,
      phoneNum: `${who.phone.slice(0, 3)}****${who.phone.slice(-4)}`,
    });
    expectNoTrace(masked?.body ?? "", who.phone, who.name);

    const fullBody = JSON.parse(full?.body ?? "{}");
    expect(fullBody.data).toMatchObject({ phoneNum: who.phone, userName: who.name });
    expect(fullBody.raw.data).toMatchObject({ phoneNum: who.phone });
  });

  it("shows no phone and no full name on the status page", async () => {
    const lot = uniqueLot("pd");
    const who = person();
    await ok(sendCallback(access(lot, who, "0", 3)));
    await ok(sendCallback(visitorBooking(lot, who)));
    const snapshot = await loadStatus(env.DB, { grantHorizonHours: 24 * 3 });
    const mine = snapshot.grantsEndingSoon.items.find((grant) => grant.vehicleCode === who.plate);
    expect(mine?.visitorName).toBe(`${who.name[0]}***`);
    const page = String(await statusPage(snapshot, { refreshSeconds: 0 }));
    expect(page).toContain(who.plate);
    expectNoTrace(page, who.phone, who.name);
  });
});

describe("export and erasure", () => {
  it("exports everything held about a plate, and the export is audited", async () => {
    const lot = uniqueLot("pd");
    const who = person();
    await storeAccessAndBooking(lot, who);

    const exported = await apiJson<{ records: Record<string, { items: Array<Record<string, unknown>> }> }>(
      `/api/personal-data?plate=${encodeURIComponent(who.plate.toLowerCase())}`,
    );
    expect(exported.records.events?.items).toHaveLength(3);
    expect(exported.records.raw_callbacks?.items).toHaveLength(3);
    expect(exported.records.vehicle_accesses?.items).toHaveLength(2);
    expect(exported.records.visitor_registrations?.items[0]).toMatchObject({
      user_name: who.name,
      user_phone: who.phone,
    });
    expect(exported.records.visitor_grants?.items[0]).toMatchObject({
      visitor_name: who.name,
      visitor_phone: who.phone,
    });
    expect(exported.records.grant_audit?.items.length).toBeGreaterThan(0);
    expect(JSON.stringify(exported.records.raw_callbacks)).toContain(who.phone);

    const audit = await env.DB.prepare(
      "SELECT * FROM personal_data_audit WHERE action = 'exported' ORDER BY at DESC, id DESC LIMIT 1",
    ).first<{ subject: string; detail: string }>();
    expect(audit?.subject).toBe(`粤B*${"*".repeat(who.plate.length - 5)}${who.plate.slice(-2)}`);
    expect(JSON.parse(audit?.detail ?? "{}")).toMatchObject({ events: 3, raw_callbacks: 3 });
  });

  it("erases a plate everywhere (no trace in any table or body) while its events still count", async () => {
    // A lot the simulated platform has (its grant is revoked there); no other test of this file uses it.
    const lot = "park2";
    const who = person();
    const hook = hookName("pd-erase");
    await apiJson("/api/subscriptions", {
      method: "POST",
      body: JSON.stringify({ url: hookUrl(hook), parkingId: lot }),
    });
    await storeAccessAndBooking(lot, who);
    const rawBody = JSON.stringify(access(lot, who, "0", 5));

    // Its visitor grant is open: the plate is what ends the access on the platform.
    const refused = await api(`/api/personal-data?plate=${encodeURIComponent(who.plate)}`, { method: "DELETE" });
    expect(refused.status).toBe(409);
    const grant = await grantOf(who.plate);
    expect(await refused.json()).toMatchObject({ error: { code: "personal_data_in_use", grantId: grant?.id } });
    expect(await everyStoredText()).toContain(who.phone);

    await ok(api(`/api/visitor-grants/${grant?.id}`, { method: "DELETE" }));
    await eventually(async () => expect((await sinkRequests(hook)).length).toBe(3));

    const answer = await ok(api(`/api/personal-data?plate=${encodeURIComponent(who.plate)}`, { method: "DELETE" }));
    const erasure = (await answer.json()) as { erasureId: string; erased: Record<string, number> };
    expect(erasure.erased).toMatchObject({
      events: 3,
      raw_callbacks: 3,
      vehicle_accesses: 2,
      visitor_registrations: 1,
      visitor_grants: 1,
    });

    expectNoTrace(await everyStoredText(), who.plate, who.phone, who.name);

    // Its events still count, in the lot's history and the live state.
    const counts = await env.DB.prepare(
      `SELECT (SELECT count(*) FROM events WHERE parking_id = ?1) AS events,
              (SELECT count(*) FROM vehicle_accesses WHERE parking_id = ?1) AS accesses,
              (SELECT in_park_num FROM lot_state WHERE parking_id = ?1) AS inside,
              (SELECT count(*) FROM events WHERE parking_id = ?1 AND vehicle_code = ?2) AS placeholders`,
    )
      .bind(lot, `erased:${erasure.erasureId}`)
      .first();
    expect(counts).toEqual({ events: 3, accesses: 2, inside: 4, placeholders: 3 });

    // The raw bodies' digests stay: the platform retrying a stored callback is still a duplicate.
    await ok(sendCallback(rawBody));
    expect(await env.DB.prepare("SELECT count(*) AS n FROM events WHERE parking_id = ?").bind(lot).first("n")).toBe(3);

    // The audit says what was erased and when, without the plate.
    const audit = await env.DB.prepare("SELECT * FROM personal_data_audit WHERE id = ?")
      .bind(erasure.erasureId)
      .first<{ action: string; subject_kind: string; detail: string; at: string }>();
    expect(audit).toMatchObject({ action: "erased", subject_kind: "plate" });
    expect(JSON.parse(audit?.detail ?? "{}")).toEqual(erasure.erased);

    // The audit lists it, newest first, masked.
    const listed = await apiJson<{ items: Array<Record<string, unknown>> }>(
      "/api/personal-data/audit?action=erased&limit=1",
    );
    expect(listed.items[0]).toMatchObject({
      id: erasure.erasureId,
      action: "erased",
      subjectKind: "plate",
      detail: erasure.erased,
    });
    expectNoTrace(JSON.stringify(listed), who.plate);

    // Nothing is left to export.
    const after = await apiJson<{ records: Record<string, unknown> }>(
      `/api/personal-data?plate=${encodeURIComponent(who.plate)}`,
    );
    expect(after.records).toEqual({});
  });

  it("erases by phone in any spelling: names, phones and bodies go, the plate stays", async () => {
    const lot = uniqueLot("pd");
    const who = person();
    await ok(sendCallback(access(lot, who, "0", 2)));
    const spaced = `+86 ${who.phone.slice(0, 3)} ${who.phone.slice(3, 7)} ${who.phone.slice(7)}`;
    const answer = await ok(api(`/api/personal-data?phone=${encodeURIComponent(spaced)}`, { method: "DELETE" }));
    expect(((await answer.json()) as { erased: Record<string, number> }).erased).toMatchObject({
      events: 1,
      raw_callbacks: 1,
    });
    const stored = await everyStoredText();
    expectNoTrace(stored, who.phone, who.name);
    const event = await env.DB.prepare("SELECT vehicle_code, data FROM events WHERE parking_id = ?")
      .bind(lot)
      .first<{ vehicle_code: string; data: string }>();
    expect(event?.vehicle_code).toBe(who.plate);
    expect(JSON.parse(event?.data ?? "{}")).toMatchObject({ vehicleCode: who.plate, phoneNum: null, userName: null });
  });

  it("erases an Ebopark report's plate, operator and photo too (its typed row and body included)", async () => {
    const who = person();
    const plate = `川A${who.plate.slice(-5)}`;
    const report = JSON.stringify({
      parkCode: uniqueLot("pdeb"),
      plateNumber: plate,
      entryTime: nowLocal(),
      exitTime: nowLocal(),
      reason: "异常抬杆",
      operatorName: who.name,
      imageUrl: `https://img.example.com/${who.serial}.jpg`,
      notes: `${who.name} 抬杆`,
    });
    expect((await sendReport("abnormalPass", report)).status).toBe(200);
    expect(await everyStoredText()).toContain(who.name);
    const masked = await apiJson<{ items: Array<Record<string, unknown>> }>(
      `/api/events?vehicleCode=${encodeURIComponent(plate)}`,
    );
    expect(masked.items[0]?.operatorName).toBe(`${who.name[0]}***`);

    const answer = await ok(api(`/api/personal-data?plate=${encodeURIComponent(plate)}`, { method: "DELETE" }));
    expect(((await answer.json()) as { erased: Record<string, number> }).erased).toMatchObject({
      events: 1,
      raw_callbacks: 1,
      barrier_overrides: 1,
    });
    expectNoTrace(await everyStoredText(), plate, who.name, `https://img.example.com/${who.serial}.jpg`);
  });

  it("fits one erasure and one export in the free plan's 50 D1 statements per invocation", async () => {
    const lot = uniqueLot("pd");
    const who = person();
    await ok(sendCallback(access(lot, who, "0", 1)));
    const counting = countingD1(env.DB);
    await exportPersonalData(counting.db, subjectOf({ plate: who.plate }));
    const exportStatements = counting.statements;
    await erasePersonalData(counting.db, subjectOf({ plate: who.plate }));
    expect(exportStatements).toBeLessThanOrEqual(10);
    expect(counting.statements - exportStatements).toBeLessThanOrEqual(25);
  });

  it("pages the audit newest first with a cursor", async () => {
    const lot = uniqueLot("pd");
    for (let i = 0; i < 3; i++) await apiJson(`/api/events?parkingId=${lot}&personalData=full`);
    const first = await apiJson<{ items: Array<{ id: string; at: string }>; nextCursor: string }>(
      "/api/personal-data/audit?action=read_full&limit=2",
    );
    expect(first.items).toHaveLength(2);
    const second = await apiJson<{ items: Array<{ id: string; at: string }> }>(
      `/api/personal-data/audit?action=read_full&limit=2&cursor=${first.nextCursor}`,
    );
    const all = [...first.items, ...second.items];
    expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
    const keys = all.map((e) => `${e.at}|${e.id}`);
    expect(keys).toEqual([...keys].sort().reverse());
  });

  it("refuses a request naming neither or both, with the field", async () => {
    const neither = await api("/api/personal-data", { method: "DELETE" });
    expect(neither.status).toBe(400);
    expect(await neither.json()).toMatchObject({ error: { code: "invalid_input", field: "plate" } });
    const both = await api("/api/personal-data?plate=粤B12345&phone=13800138000");
    expect(both.status).toBe(400);
    expect(await both.json()).toMatchObject({ error: { field: "phone" } });
    const badPlate = await api("/api/personal-data?plate=hello");
    expect(badPlate.status).toBe(400);
    expect(await badPlate.json()).toMatchObject({ error: { field: "plate" } });
  });
});
