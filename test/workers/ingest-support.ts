/**
 * Helpers of the ingestion, API and delivery tests: signed callbacks sent to the real Worker
 * (its default export, with its own execution context), authorised API calls, row counts.
 */
import { env, exports } from "cloudflare:workers";
import { signCallback, signReportBody } from "@parkbridge/shared";

export const ADMIN = { Authorization: "Bearer test-admin-token" };
export const DEMO = { appKey: "demo-app-key", secret: "demo-app-secret" };

export interface SendOptions {
  appKey?: string;
  secret?: string;
  timestamp?: number | string;
  sign?: string;
  omit?: "appKey" | "timestamp" | "sign";
}

export function signedHeaders(options: SendOptions = {}): Record<string, string> {
  const appKey = options.appKey ?? DEMO.appKey;
  const timestamp = String(options.timestamp ?? Date.now());
  const headers: Record<string, string> = {
    "content-type": "application/json",
    appKey,
    timestamp,
    sign: options.sign ?? signCallback(appKey, timestamp, options.secret ?? DEMO.secret),
  };
  if (options.omit) delete headers[options.omit];
  return headers;
}

export function sendCallback(body: string | object, options: SendOptions = {}): Promise<Response> {
  return exports.default.fetch("http://worker/callbacks", {
    method: "POST",
    headers: signedHeaders(options),
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

export function api(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(`http://worker${path}`, {
    ...init,
    headers: { ...ADMIN, ...(init.body ? { "content-type": "application/json" } : {}), ...init.headers },
  });
}

export async function apiJson<T = Record<string, unknown>>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await api(path, init);
  if (!response.ok)
    throw new Error(`${init.method ?? "GET"} ${path}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

export const STORED_TABLES = [
  "raw_callbacks",
  "events",
  "vehicle_accesses",
  "camera_statuses",
  "visitor_registrations",
  "lot_state",
  "lane_state",
  "deliveries",
] as const;

export async function counts(): Promise<Record<(typeof STORED_TABLES)[number], number>> {
  const results = await env.DB.batch(
    STORED_TABLES.map((table) => env.DB.prepare(`SELECT count(*) AS n FROM ${table}`)),
  );
  return Object.fromEntries(
    STORED_TABLES.map((table, i) => [table, (results[i]?.results?.[0] as { n: number } | undefined)?.n ?? 0]),
  ) as Record<(typeof STORED_TABLES)[number], number>;
}

let sequence = 0;
/** A unique parking lot id per call, so tests in one file (shared storage) do not meet. */
export const uniqueLot = (prefix = "lot") => `${prefix}-${Date.now().toString(36)}-${++sequence}`;

/** A wall-clock time in UTC+8, `yyyy-MM-dd HH:mm:ss`, `minutes` after a fixed base. */
export const localTime = (minutes: number) => {
  const d = new Date(Date.UTC(2026, 10, 22, 8, 0, 0) + minutes * 60_000);
  return d.toISOString().slice(0, 19).replace("T", " ");
};

export const vehicleAccess = (data: Record<string, unknown>) => ({
  callbackType: "PARKING_VEHICLE_ACCESS",
  data: {
    vehicleCode: "鲁A12345",
    vehicleType: "1",
    accessType: "0",
    time: localTime(0),
    laneNo: "1",
    laneName: "入口1",
    parkingId: "park123",
    tempLot: 50,
    inParkNum: 120,
    totalLot: 200,
    ...data,
  },
});

export const cameraStatus = (data: Record<string, unknown>) => ({
  callbackType: "PARKING_CAMERA_ONLINE",
  data: { parkingId: "park123", laneNo: "1", laneName: "入口1", time: localTime(0), status: "1", ...data },
});

export const DEMO_PARTNER = { partnerId: "demo-partner", secretKey: "demo-ebopark-secret" };

export interface ReportOptions {
  partnerId?: string;
  secretKey?: string;
  /** A sign to send instead of md5(body + secretKey). */
  sign?: string;
  omit?: "partnerid" | "sign";
  contentType?: string;
}

/** POST /callbacks/ebopark/{report} as Ebopark pushes it: sign = md5(raw body + secretKey) in the query string. */
export function sendReport(report: string, body: string | object | Uint8Array, options: ReportOptions = {}) {
  const bytes =
    body instanceof Uint8Array
      ? body
      : new TextEncoder().encode(typeof body === "string" ? body : JSON.stringify(body));
  const partnerId = options.partnerId ?? DEMO_PARTNER.partnerId;
  const query = new URLSearchParams();
  if (options.omit !== "partnerid") query.set("partnerid", partnerId);
  if (options.omit !== "sign")
    query.set("sign", options.sign ?? signReportBody(bytes, options.secretKey ?? DEMO_PARTNER.secretKey));
  return exports.default.fetch(`http://worker/callbacks/ebopark/${report}?${query}`, {
    method: "POST",
    headers: { "content-type": options.contentType ?? "application/json" },
    body: bytes,
  });
}
