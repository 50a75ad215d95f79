/**
 * Handling one delivery: from the edge (its Standard Webhooks HMAC, checked by shared's
 * verifyWebhook) or straight from the platform (its md5 callback signature, checked by shared's
 * verifyCallback). A delivery that fails its check is answered 401/400 and runs no workflow.
 */
import { verifyCallback, verifyWebhook } from "@parkbridge/shared";
import type { IDataObject, IWebhookFunctions, IWebhookResponseData } from "n8n-workflow";
import { PLATFORM_CREDENTIAL } from "../ParkingOpenPlatform/client";
import { subscriptionState } from "./subscription";

/** What the platform expects back from a callback it may stop retrying. */
export const PLATFORM_ACK = { code: 0, msg: "操作成功" };

/** How many recent direct deliveries are remembered for replay and duplicate checks. */
const RECENT_LIMIT = 200;

interface RequestWithRawBody {
  rawBody?: Buffer | string;
  body?: unknown;
  headers: Record<string, string | string[] | undefined>;
}

function rawBodyOf(request: RequestWithRawBody): string {
  if (typeof request.rawBody === "string") return request.rawBody;
  if (request.rawBody && typeof request.rawBody === "object") return new TextDecoder().decode(request.rawBody);
  // Without the raw bytes, the parsed body re-serialised is what JSON senders (the edge) signed.
  return typeof request.body === "string" ? request.body : JSON.stringify(request.body ?? {});
}

function header(request: RequestWithRawBody, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

function reject(context: IWebhookFunctions, status: number, body: IDataObject): IWebhookResponseData {
  const response = context.getResponseObject();
  response.status(status).json(body);
  return { noWebhookResponse: true };
}

function wanted(context: IWebhookFunctions, event: string, parkingId: unknown): boolean {
  const events = context.getNodeParameter("events", []) as string[];
  const lot = String(context.getNodeParameter("parkingId", "") ?? "").trim();
  return (events.length === 0 || events.includes(event)) && (!lot || lot === String(parkingId ?? ""));
}

export async function receiveFromEdge(context: IWebhookFunctions): Promise<IWebhookResponseData> {
  const request = context.getRequestObject() as unknown as RequestWithRawBody;
  const secret = subscriptionState(context).secret;
  if (!secret) return reject(context, 401, { error: "this trigger has no active subscription secret" });
  const body = rawBodyOf(request);
  const check = await verifyWebhook(
    secret,
    {
      id: header(request, "webhook-id"),
      timestamp: header(request, "webhook-timestamp"),
      signature: header(request, "webhook-signature"),
    },
    body,
  );
  if (!check.ok) return reject(context, 401, { error: check.reason });
  let delivery: IDataObject;
  try {
    delivery = JSON.parse(body) as IDataObject;
  } catch {
    return reject(context, 400, { error: "the body is not JSON" });
  }
  if (!wanted(context, String(delivery.event ?? ""), delivery.parkingId)) {
    return { webhookResponse: { received: true, ignored: true } };
  }
  return { workflowData: [context.helpers.returnJsonArray([delivery])] };
}

interface RecentDelivery extends IDataObject {
  timestamp: number;
  sign: string;
  digest: string;
}

export async function receiveFromPlatform(context: IWebhookFunctions): Promise<IWebhookResponseData> {
  const request = context.getRequestObject() as unknown as RequestWithRawBody;
  const credentials = await context.getCredentials(PLATFORM_CREDENTIAL);
  const appKey = String(credentials.appKey ?? "");
  const appSecret = String(credentials.appSecret ?? "");
  const verified = await verifyCallback({
    headers: request.headers,
    body: rawBodyOf(request),
    secretFor: (key) => (key === appKey ? appSecret : undefined),
  });
  if (!verified.ok) {
    return reject(context, verified.status, {
      code: 1,
      msg: verified.message,
      reason: verified.reason,
      ...(verified.field ? { field: verified.field } : {}),
    });
  }
  // The md5 sign does not cover the body: a (timestamp, sign) pair seen with another body is a replay.
  const state = context.getWorkflowStaticData("node") as { recent?: RecentDelivery[] };
  const recent = state.recent ?? [];
  const seen = recent.find((entry) => entry.timestamp === verified.timestamp && entry.sign === verified.sign);
  if (seen && seen.digest !== verified.bodyDigest) {
    return reject(context, 401, {
      code: 1,
      msg: "timestamp and sign were already used with another body",
      reason: "bad_sign",
    });
  }
  if (recent.some((entry) => entry.digest === verified.bodyDigest)) return { webhookResponse: PLATFORM_ACK };
  state.recent = [...recent, { timestamp: verified.timestamp, sign: verified.sign, digest: verified.bodyDigest }].slice(
    -RECENT_LIMIT,
  );
  const { event } = verified;
  if (!wanted(context, event.event, event.data.parkingId)) return { webhookResponse: PLATFORM_ACK };
  return {
    webhookResponse: PLATFORM_ACK,
    workflowData: [
      context.helpers.returnJsonArray([
        {
          event: event.event,
          callbackType: event.callbackType,
          parkingId: event.data.parkingId,
          appKey: verified.appKey,
          receivedAt: new Date().toISOString(),
          data: event.data as unknown as IDataObject,
        },
      ]),
    ],
  };
}
