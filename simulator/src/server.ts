/**
 * HTTP routing (node:http): the platform's operations at `POST {base}/{operationId}`, Ebopark's
 * CPGS, partnerService and ump paths, and the `/__sim/` control endpoints. Platform answers are
 * always HTTP 200 with `{code, msg, result|data}`, as the platform does; faults may replace them.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { gzipSync } from "node:zlib";
import {
  type CallableOperationId,
  type OperationDefinition,
  type OperationId,
  operations,
  toFieldIssues,
  toPlatformMessage,
} from "@parkbridge/shared";
import { handleControl } from "./control.js";
import { carParkSession, type EboparkAnswer, findByCarNo, partnerService } from "./ebopark.js";
import { DEFAULT_PLATFORM_ERROR_MSG, DEFAULT_TIMEOUT_HOLD_MS, type FaultDecision, type StoredFault } from "./faults.js";
import { encodeGbk } from "./gbk.js";
import { type Handler, handlers, Refusal } from "./handlers/index.js";
import type { CatalogueSchema } from "./schemas.js";
import type { Simulator } from "./simulator.js";
import { TOKEN_FAILURE_MSG } from "./tokens.js";

/** One platform (or Ebopark) request as the calls log keeps it. */
export interface CallRecord {
  operationId: string;
  body: unknown;
  /** Unix ms of arrival. */
  at: number;
  /** Unix ms of the answer (after any latency a fault added): when the platform acted. */
  answeredAt?: number;
  /** The envelope's code (Ebopark: its state); for a fault that replaced the answer: the HTTP status, or -1 for a dropped request. */
  code: number;
  /** The platform's msg when code ≠ 0. */
  msg?: string;
  /** The account whose AccessToken the call carried (platform operations with a valid token). */
  appKey?: string;
}

const SUCCESS_MSG = "操作成功";

export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export function sendJson(response: ServerResponse, status: number, json: unknown): void {
  const text = JSON.stringify(json);
  response.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  response.end(text);
}

/** An answer as Ebopark's servers sometimes send it: in GBK (declared), gzip-compressed, or both. */
function sendEncodedJson(response: ServerResponse, json: unknown, encoding: Pick<FaultDecision, "gzip" | "gbk">): void {
  if (!encoding.gzip && !encoding.gbk) {
    sendJson(response, 200, json);
    return;
  }
  const text = JSON.stringify(json);
  const plain = encoding.gbk ? Buffer.from(encodeGbk(text)) : Buffer.from(text, "utf8");
  const body = encoding.gzip ? gzipSync(plain) : plain;
  response.writeHead(200, {
    "content-type": `application/json; charset=${encoding.gbk ? "GBK" : "utf-8"}`,
    ...(encoding.gzip ? { "content-encoding": "gzip" } : {}),
    "content-length": body.length,
  });
  response.end(body);
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  if (text.trim() === "") return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

const isOperationId = (id: string): id is OperationId => Object.hasOwn(operations, id);

export function createRequestListener(sim: Simulator) {
  return (request: IncomingMessage, response: ServerResponse) => {
    route(sim, request, response).catch((error: unknown) => {
      if (!response.headersSent) sendJson(response, 500, { error: (error as Error).message });
      else response.destroy();
    });
  };
}

async function route(sim: Simulator, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? "/", "http://simulator");
  const body = await readBody(request);
  if (url.pathname.startsWith("/__sim/")) return handleControl(sim, request.method ?? "GET", url, body, response);
  if (request.method !== "POST") return sendJson(response, 405, { error: "the platforms take POST" });

  if (url.pathname.endsWith("/partner/findByCarNo")) {
    return answerEbopark(sim, "findByCarNo", body, response, () => findByCarNo(sim.eboparkContext, body));
  }
  const partner = /\/partnerService\/([^/]+)$/.exec(url.pathname);
  if (partner) {
    const name = decodeURIComponent(partner[1] as string);
    return answerEbopark(sim, name, body, response, () =>
      partnerService(sim.eboparkContext, name, url.searchParams, body),
    );
  }
  if (url.pathname.endsWith("/ebo/park/query/carParkSession")) {
    return answerEbopark(sim, "carParkSession", body, response, () =>
      carParkSession(sim.eboparkContext, url.searchParams, body),
    );
  }
  // Any base path: the operation id is the last segment.
  const operationId = url.pathname.split("/").filter(Boolean).at(-1) ?? "";
  if (!isOperationId(operationId)) return sendJson(response, 404, { error: `no operation at ${url.pathname}` });
  return answerPlatform(sim, operationId, request, url, body, response);
}

/** Applies the faults for a request; returns undefined when a fault answered (or dropped) it, else the decision. */
async function applyFaults(
  sim: Simulator,
  operationId: string,
  parkingId: string | undefined,
  response: ServerResponse,
  log: (code: number, msg?: string) => void,
  onPlatformFault: (fault: StoredFault, decision: FaultDecision) => void,
): Promise<FaultDecision | undefined> {
  const decision = sim.faults.decide(operationId, parkingId);
  if (decision.latencyMs > 0) await sim.hold(decision.latencyMs);
  const fault = decision.outcome;
  if (!fault) return decision;
  switch (fault.kind) {
    case "http500":
      log(500);
      response.writeHead(500, { "content-type": "text/plain; charset=utf-8" }).end("Internal Server Error");
      return undefined;
    case "http502":
      log(502);
      response
        .writeHead(502, { "content-type": "text/html; charset=utf-8" })
        .end("<html><body><h1>502 Bad Gateway</h1></body></html>");
      return undefined;
    case "timeout":
      log(-1);
      // Hold longer than the client waits, then drop the connection without an answer.
      await sim.hold(fault.latencyMs ?? DEFAULT_TIMEOUT_HOLD_MS);
      response.destroy();
      return undefined;
    default:
      onPlatformFault(fault, decision);
      return undefined;
  }
}

async function answerPlatform(
  sim: Simulator,
  operationId: OperationId,
  request: IncomingMessage,
  url: URL,
  bodyText: string,
  response: ServerResponse,
): Promise<void> {
  const now = sim.now();
  const parsedBody = parseJson(bodyText);
  const record: CallRecord = { operationId, body: parsedBody.ok ? parsedBody.value : bodyText, at: now, code: 0 };
  const log = (code: number, msg?: string) => {
    record.code = code;
    record.answeredAt = sim.now();
    if (msg !== undefined) record.msg = msg;
    sim.calls.push(record);
  };
  const answer = (json: { code: number; msg: string } & Record<string, unknown>) => {
    log(json.code, json.code === 0 ? undefined : json.msg);
    sendJson(response, 200, json);
  };
  const refuse = (msg: string) => answer({ code: 1, msg });
  const headerToken = request.headers.accesstoken;
  const token = (Array.isArray(headerToken) ? headerToken[0] : headerToken) ?? url.searchParams.get("AccessToken");

  const lot = parsedBody.ok ? (parsedBody.value as { parkingId?: unknown } | null)?.parkingId : undefined;
  const decision = await applyFaults(
    sim,
    operationId,
    typeof lot === "string" ? lot : undefined,
    response,
    log,
    (fault) => {
      if (fault.kind === "tokenExpired") {
        // The token really expires: the client must fetch a new one.
        if (token) sim.tokens.expire(token);
        refuse(TOKEN_FAILURE_MSG);
      } else {
        refuse(fault.msg ?? DEFAULT_PLATFORM_ERROR_MSG);
      }
    },
  );
  if (!decision) return;

  const caller = operationId === "getAccessToken" ? undefined : sim.tokens.check(token ?? undefined, sim.now());
  if (operationId !== "getAccessToken" && !caller) return refuse(TOKEN_FAILURE_MSG);
  if (caller) record.appKey = caller;
  if (!parsedBody.ok) return refuse("参数错误:请求体不是有效的JSON");
  const definition = operations[operationId] as OperationDefinition;
  const schema = definition.request as unknown as CatalogueSchema;
  const input = parsedBody.value ?? {};
  const parsed = schema.safeParse(input);
  if (!parsed.success) return refuse(toPlatformMessage(toFieldIssues(parsed.error, schema, input)));

  try {
    const owned = caller ? sim.tokens.account(caller)?.parkingIds : undefined;
    if (owned) refuseOtherAccountsLot(sim, owned, parsed.data as Record<string, unknown>);
    let payload =
      operationId === "getAccessToken"
        ? sim.tokens.issue(parsed.data as Parameters<typeof sim.tokens.issue>[0], now)
        : (handlers[operationId as CallableOperationId] as Handler<CallableOperationId>)(parsed.data as never, {
            state: sim.state,
            now,
            recordLagMs: decision.recordLagMs,
          });
    if (owned && operationId === "listParkingLots") {
      payload = (payload as Array<{ value: string }>).filter((lot) => owned.includes(lot.value));
    }
    answer(
      payload === undefined
        ? { code: 0, msg: SUCCESS_MSG }
        : { code: 0, msg: SUCCESS_MSG, [definition.resultKey]: payload },
    );
  } catch (error) {
    if (error instanceof Refusal) return refuse(error.message);
    throw error;
  }
}

/** An account that owns some lots only: a request naming another lot (or its lane) is refused as an unknown lot. */
function refuseOtherAccountsLot(sim: Simulator, owned: readonly string[], request: Record<string, unknown>): void {
  const { parkingId, laneId } = request;
  if (typeof parkingId === "string" && !owned.includes(parkingId)) throw new Refusal(`车场不存在:${parkingId}`);
  const lane = typeof laneId === "string" ? sim.state.lane(laneId) : undefined;
  if (lane && !owned.includes(lane.lot.parkingId)) throw new Refusal(`车道不存在:${laneId}`);
}

async function answerEbopark(
  sim: Simulator,
  operationId: string,
  bodyText: string,
  response: ServerResponse,
  handle: () => EboparkAnswer,
): Promise<void> {
  const parsedBody = parseJson(bodyText);
  const record: CallRecord = {
    operationId,
    body: parsedBody.ok ? parsedBody.value : bodyText,
    at: Date.now(),
    code: 0,
  };
  const log = (code: number, msg?: string) => {
    record.code = code;
    if (msg !== undefined) record.msg = msg;
    sim.calls.push(record);
  };
  const decision = await applyFaults(sim, operationId, undefined, response, log, (fault, decision) => {
    const desc = fault.kind === "tokenExpired" ? "签名已过期" : (fault.msg ?? DEFAULT_PLATFORM_ERROR_MSG);
    log(1, desc);
    sendEncodedJson(response, { state: 1, desc, data: null }, decision);
  });
  if (!decision) return;
  const result = handle();
  const json = result.json as { desc?: string; msg?: string };
  log(result.state, result.state === 0 ? undefined : (json.desc ?? json.msg));
  sendEncodedJson(response, result.json, decision);
}
