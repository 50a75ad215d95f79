/**
 * The status page in a real browser: a real Worker (wrangler dev, local D1/KV/Queues) fed with
 * signed callbacks, a subscriber that refuses every delivery, and headless Chromium logging in
 * through the form. UPDATE_SCREENSHOT=1 also writes docs/status-page.png.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { formatPlatformTime, signReportBody } from "@parkbridge/shared";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postCallback } from "./helpers/callbacks.js";
import { launchChromium, type RunningBrowser } from "./helpers/chromium.js";
import { waitUntil } from "./helpers/ports.js";
import { type RunningWorker, repoRoot, startWorker } from "./helpers/wrangler-dev.js";

const ADMIN_TOKEN = "e2e-status-admin-token-5b1f";
const APP_SECRET = "demo-app-secret";
const LOT = "park-e2e";
const OTHER_LOT = "park-west";
// An Ebopark lot, reporting through /callbacks/ebopark/{report} beside the open platform's two.
const EBO_LOT = "510107148";
const EBO_PARTNER = { id: "demo-partner", secretKey: "demo-ebopark-secret" };
const MINUTE = 60_000;

let worker: RunningWorker;
let browser: RunningBrowser;
let subscriber: Server;
let subscriberUrl: string;
let subscriptionSecret: string;
let refusedDeliveries = 0;

const api = async (pathAndQuery: string, init: RequestInit = {}) => {
  const response = await fetch(`${worker.url}${pathAndQuery}`, {
    ...init,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json", ...init.headers },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

// Four passes over the last three hours: occupancy 40 → 41 → 42 → 41 of 100 spaces.
const now = Date.now();
const passes = [
  {
    minutesAgo: 170,
    plate: "鲁A12345",
    accessType: "0",
    inParkNum: 40,
    totalLot: 60,
    lane: "L1",
    laneName: "东门入口",
  },
  {
    minutesAgo: 95,
    plate: "京AD12345",
    accessType: "0",
    inParkNum: 41,
    totalLot: 59,
    lane: "L1",
    laneName: "东门入口",
  },
  { minutesAgo: 40, plate: "沪B54321", accessType: "0", inParkNum: 42, totalLot: 58, lane: "L1", laneName: "东门入口" },
  { minutesAgo: 5, plate: "鲁A12345", accessType: "1", inParkNum: 41, totalLot: 59, lane: "L2", laneName: "西门出口" },
];

beforeAll(async () => {
  subscriber = createServer((request, response) => {
    request.resume();
    refusedDeliveries++;
    response.writeHead(500, { "content-type": "text/plain" }).end("receiver is down for maintenance");
  });
  await new Promise<void>((resolve) => subscriber.listen(0, "127.0.0.1", resolve));
  // The query string stands for a credential in a subscriber URL: the page must not show it.
  subscriberUrl = `http://127.0.0.1:${(subscriber.address() as AddressInfo).port}/hook?key=query-secret-77`;

  worker = await startWorker({
    vars: {
      ADMIN_TOKEN,
      PLATFORM_APP_KEY: "demo-app-key",
      PLATFORM_APP_SECRET: APP_SECRET,
      EBOPARK_PARTNERS: JSON.stringify({ [EBO_PARTNER.id]: EBO_PARTNER.secretKey }),
      // One attempt, then dead: the refused delivery shows at once.
      DELIVERY_MAX_ATTEMPTS: "1",
    },
  });

  const subscription = await api("/api/subscriptions", {
    method: "POST",
    body: JSON.stringify({ url: subscriberUrl, events: ["cameraStatus"], platform: "open" }),
  });
  expect(subscription.status).toBe(201);
  subscriptionSecret = subscription.body.secret as string;

  for (const pass of passes) {
    const sent = await postCallback(worker.url, "PARKING_VEHICLE_ACCESS", {
      vehicleCode: pass.plate,
      vehicleType: "9",
      accessType: pass.accessType,
      time: formatPlatformTime(now - pass.minutesAgo * MINUTE, "second"),
      laneNo: pass.lane,
      laneName: pass.laneName,
      parkingId: LOT,
      inParkNum: pass.inParkNum,
      totalLot: pass.totalLot,
      tempLot: 10,
    });
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
  }
  // A second, nearly full lot: the page shows every lot with its own chart.
  for (const [minutesAgo, inParkNum] of [
    [300, 44],
    [200, 47],
    [60, 48],
  ] as const) {
    const sent = await postCallback(worker.url, "PARKING_VEHICLE_ACCESS", {
      // Plates follow the catalogue's rule: province, letter and 5 characters.
      vehicleCode: `苏E${String(minutesAgo).padStart(4, "0")}8`,
      accessType: "0",
      time: formatPlatformTime(now - minutesAgo * MINUTE, "second"),
      laneNo: "W1",
      laneName: "西区入口",
      parkingId: OTHER_LOT,
      inParkNum,
      totalLot: 50 - inParkNum,
    });
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
  }
  for (const [lane, laneName, status, minutesAgo] of [
    ["L1", "东门入口", "1", 120],
    ["L2", "西门出口", "0", 12],
  ] as const) {
    const sent = await postCallback(worker.url, "PARKING_CAMERA_ONLINE", {
      parkingId: LOT,
      laneNo: lane,
      laneName,
      status,
      time: formatPlatformTime(now - minutesAgo * MINUTE, "second"),
    });
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
  }
  // The Ebopark lot: its base information twice (a chart of two points), an entry, a barrier
  // lifted by hand and a lane camera offline, each report signed as Ebopark signs them.
  const eboTime = (minutesAgo: number) => formatPlatformTime(now - minutesAgo * MINUTE, "second");
  const reports: Array<[string, Record<string, unknown>]> = [
    ["lotInfo", { parkCode: EBO_LOT, parkName: "宜泊测试车场", totalSpace: 80, freeSpace: 30, time: eboTime(150) }],
    [
      "vehicleEntry",
      {
        parkCode: EBO_LOT,
        plateNumber: "川A7Q321",
        entryTime: eboTime(25),
        entryChannelId: "E1",
        entryChannelName: "一号入口",
      },
    ],
    ["lotInfo", { parkCode: EBO_LOT, parkName: "宜泊测试车场", totalSpace: 80, freeSpace: 22, time: eboTime(20) }],
    [
      "abnormalPass",
      {
        parkCode: EBO_LOT,
        plateNumber: "无牌车",
        exitTime: eboTime(15),
        reason: "异常抬杆",
        operatorName: "张三",
        exitChannelName: "二号出口",
        chargeAmount: 12,
        incomeAmount: 0,
      },
    ],
    [
      "deviceStatus",
      { parkCode: EBO_LOT, channelId: "X2", channelName: "二号出口", deviceId: "cam-x2", status: 0, time: eboTime(8) },
    ],
  ];
  for (const [report, body] of reports) {
    const text = JSON.stringify(body);
    const query = new URLSearchParams({ partnerid: EBO_PARTNER.id, sign: signReportBody(text, EBO_PARTNER.secretKey) });
    const response = await fetch(`${worker.url}/callbacks/ebopark/${report}?${query}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: text,
    });
    expect(await response.text(), report).toBe('{"code":0,"msg":"success","data":null}');
  }
  // A booking for today (UTC+8) becomes a grant ending tonight at 23:59:59: within the page's 24 h.
  const today = formatPlatformTime(now, "date");
  const visitor = await postCallback(worker.url, "PARKING_VISITOR", {
    parkingId: LOT,
    vehicleCode: "粤B67890",
    userName: "王小明",
    userPhoneNumber: "13800138000",
    startTime: today,
    endTime: today,
    memo: "送货",
  });
  expect(visitor.status, JSON.stringify(visitor.body)).toBe(200);

  // Two camera reports went to the refusing subscriber: wait until both are dead.
  await waitUntil(
    "the refused deliveries to be marked dead",
    async () => ((await api("/api/deliveries?status=dead")).body.items as unknown[]).length >= 2,
    60_000,
  );

  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await worker?.stop();
  await new Promise((resolve) => subscriber?.close(resolve));
});

async function logIn(page: Page, token: string) {
  await page.goto(`${worker.url}/`);
  expect(new URL(page.url()).pathname).toBe("/login");
  await page.fill("#token", token);
  await Promise.all([page.waitForLoadState("load"), page.click("button[type=submit]")]);
}

describe("the status page", { timeout: 120_000 }, () => {
  it("refuses a wrong token and stays on the login form", async () => {
    const page = await browser.context.newPage();
    await logIn(page, "not-the-admin-token");
    expect(new URL(page.url()).pathname).toBe("/login");
    await expect(page.locator("[role=alert]").textContent()).resolves.toContain("not correct");
    expect(await browser.context.cookies(worker.url)).toEqual([]);
    // Still nothing behind it.
    const response = await page.goto(`${worker.url}/`);
    expect(new URL(page.url()).pathname).toBe("/login");
    expect(response?.status()).toBe(200);
    await page.close();
  });

  it("refuses forged, tampered and expired session cookies", async () => {
    const login = await fetch(`${worker.url}/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: worker.url },
      body: new URLSearchParams({ token: ADMIN_TOKEN }),
      redirect: "manual",
    });
    expect(login.status).toBe(303);
    const session = /parkbridge_status=([^;]+)/.exec(login.headers.get("set-cookie") ?? "")?.[1] as string;
    const [expiry, mac] = session.split(".") as [string, string];
    const statusWith = async (cookie: string) =>
      (await fetch(`${worker.url}/`, { headers: { cookie: `parkbridge_status=${cookie}` }, redirect: "manual" }))
        .status;

    expect(await statusWith(session)).toBe(200);
    // Another expiry with the same MAC, a flipped MAC digit, the token itself, an expired session.
    expect(await statusWith(`${Number(expiry) + 3600}.${mac}`)).toBe(303);
    expect(await statusWith(`${expiry}.${mac.slice(0, -1)}${mac.endsWith("0") ? "1" : "0"}`)).toBe(303);
    expect(await statusWith(ADMIN_TOKEN)).toBe(303);
    expect(await statusWith(`${Math.floor(Date.now() / 1000) - 60}.${mac}`)).toBe(303);
    // A login form posted from another site is refused (CSRF).
    const crossSite = await fetch(`${worker.url}/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://evil.example" },
      body: new URLSearchParams({ token: ADMIN_TOKEN }),
      redirect: "manual",
    });
    expect(crossSite.status).toBe(403);
    expect(crossSite.headers.get("set-cookie")).toBeNull();
  });

  it("logs in through the form with a session cookie that is not the token", async () => {
    const page = await browser.context.newPage();
    await logIn(page, ADMIN_TOKEN);
    expect(new URL(page.url()).pathname).toBe("/");
    const [cookie, ...others] = await browser.context.cookies(worker.url);
    expect(others).toEqual([]);
    expect(cookie).toMatchObject({ name: "parkbridge_status", httpOnly: true, sameSite: "Strict", secure: false });
    expect(cookie?.value).not.toContain(ADMIN_TOKEN);
    expect(cookie?.value).toMatch(/^\d+\.admin\.[0-9a-f]{32}\.[0-9a-f]{64}$/);
    await page.close();
  });

  it("shows the lot's occupancy chart, lanes, passes, grants ending soon and failed deliveries", async () => {
    const page = await browser.context.newPage();
    await page.goto(`${worker.url}/?refresh=0`);
    expect(new URL(page.url()).pathname).toBe("/");

    // The lot: the newest pass's numbers, and a chart drawn from all four passes.
    const lot = page.locator(`article.lot[data-parking-id="${LOT}"]`);
    await expect(lot.locator('[data-field="inside"]').textContent()).resolves.toBe("41");
    await expect(lot.locator('[data-field="free"]').textContent()).resolves.toBe("59");
    const chart = lot.locator("svg.chart");
    await expect(chart.getAttribute("data-points")).resolves.toBe(String(passes.length));
    await expect(chart.locator("title").textContent()).resolves.toContain("41 vehicles inside of 100 spaces");
    const line = await chart.locator("path.line").getAttribute("d");
    // A step line: a start and one horizontal + vertical step per later pass, then on to now.
    expect(line?.match(/V/g)?.length).toBe(passes.length - 1);
    const box = await chart.boundingBox();
    expect(box?.width).toBeGreaterThan(300);
    expect(box?.height).toBeGreaterThan(100);

    const other = page.locator(`article.lot[data-parking-id="${OTHER_LOT}"]`);
    await expect(other.locator('[data-field="inside"]').textContent()).resolves.toBe("48");
    await expect(other.locator("svg.chart").getAttribute("data-points")).resolves.toBe("3");
    await expect(other.locator(".bar.full").count()).resolves.toBe(1);
    // The Ebopark lot beside them, labelled with its platform.
    const ebo = page.locator(`article.lot[data-parking-id="${EBO_LOT}"][data-platform="ebopark"]`);
    await expect(ebo.textContent()).resolves.toMatch(/宜泊测试车场[\s\S]*Ebopark/);
    await expect(ebo.locator('[data-field="free"]').textContent()).resolves.toBe("22");
    await expect(page.locator("article.lot").count()).resolves.toBe(3);
    // Its lane camera offline, and the barrier lifted by hand for a vehicle without a plate.
    await expect(page.locator(`#lanes tr[data-lane="${EBO_LOT}/X2"]`).textContent()).resolves.toMatch(
      /Ebopark[\s\S]*Offline/,
    );
    const override = page.locator("#barrier-overrides tbody tr");
    await expect(override.textContent()).resolves.toMatch(/无牌车[\s\S]*异常抬杆/);

    // Lanes: the west exit's camera is offline.
    const offlineLane = page.locator(`#lanes tr[data-lane="${LOT}/L2"]`);
    await expect(offlineLane.textContent()).resolves.toMatch(/西门出口[\s\S]*Offline/);
    await expect(page.locator(`#lanes tr[data-lane="${LOT}/L1"]`).textContent()).resolves.toContain("Online");
    await expect(page.locator('[data-field="offline-count"]').textContent()).resolves.toBe("2");

    // Latest passes of both lots, newest first by when they happened (the west lot's arrived
    // last but happened earlier), with the plates as sent.
    const allRows = await page.locator("#entries tbody tr").allTextContents();
    expect(allRows).toHaveLength(passes.length + 3 + 1);
    expect(allRows[0]).toMatch(/鲁A12345[\s\S]*Out/);
    expect(allRows.at(-1)).toContain(OTHER_LOT);
    expect(allRows.join("\n")).toMatch(/川A7Q321[\s\S]*Ebopark/);
    const rows = allRows.filter((row) => row.includes(LOT));
    expect(rows).toHaveLength(passes.length);
    expect(rows.join("\n")).toContain("京AD12345");
    expect(rows.join("\n")).toContain(formatPlatformTime(now - 40 * MINUTE, "second"));

    // The visitor booked for today ends tonight.
    const grant = page.locator("#grants tbody tr");
    await expect(grant.textContent()).resolves.toMatch(
      new RegExp(`粤B67890[\\s\\S]*王\\*\\*[\\s\\S]*${formatPlatformTime(now, "date")} 23:59:59`),
    );

    // The refused deliveries, dead after one attempt, with the subscriber's URL minus its query.
    const deliveries = await page.locator("#deliveries tbody tr").allTextContents();
    expect(deliveries).toHaveLength(2);
    for (const row of deliveries) {
      expect(row).toContain(subscriberUrl.split("?")[0]);
      expect(row).toContain("cameraStatus");
      expect(row).toContain("Dead");
    }
    expect(refusedDeliveries).toBeGreaterThanOrEqual(2);

    // No secret anywhere in what the browser got.
    const source = await page.content();
    for (const secret of [ADMIN_TOKEN, APP_SECRET, subscriptionSecret, "query-secret-77"]) {
      expect(source).not.toContain(secret);
    }

    if (process.env.UPDATE_SCREENSHOT === "1") {
      await page.screenshot({ path: path.join(repoRoot, "docs", "status-page.png"), fullPage: true });
    }
    await page.close();
  });

  it("refreshes itself, and logging out ends the session", async () => {
    const page = await browser.context.newPage();
    await page.goto(`${worker.url}/`);
    await expect(page.locator('meta[http-equiv="refresh"]').getAttribute("content")).resolves.toBe("30");
    await Promise.all([page.waitForURL(`${worker.url}/login`), page.click("header form button")]);
    expect(await browser.context.cookies(worker.url)).toEqual([]);
    await page.goto(`${worker.url}/`);
    expect(new URL(page.url()).pathname).toBe("/login");
    await page.close();
  });
});
