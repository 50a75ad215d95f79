/**
 * Handling one delivery: from the edge (its Standard Webhooks HMAC, checked by shared's
 * verifyWebhook, then claimed at the edge: claim.ts) or straight from the platform (its md5
 * callback signature, checked by shared's verifyCallback, then recorded: seen-deliveries.ts).
 * A delivery that fails its check is answered 401/400 and runs no workflow; a copy of one that
 * ran is acknowledged and runs nothing.
 */
import { verifyCallback, verifyWebhook } from "@parkbridge/shared";
import type { IDataObject, IWebhookFunctions, IWebhookResponseData } from "n8n-workflow";
import { PLATFORM_CREDENTIAL } from "../ParkingOpenPlatform/client";
import { claimDelivery } from "./claim";
import { recordDelivery } from "./seen-deliveries";
import { subscriptionState } from "./subscription";

/** What the platform expects back from a callback it may stop retrying. */
export const PLATFORM_ACK = { code: 0, msg: "操作成功" };

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
  const { secret, subscriptionId } = subscriptionState(context);
  if (!secret || !subscriptionId)
    return reject(context, 401, { error: "this trigger has no active subscription secret" });
  const body = rawBodyOf(request);
  const deliveryId = header(request, "webhook-id");
  const check = await verifyWebhook(
    secret,
    {
      id: deliveryId,
      timestamp: header(request, "webhook-timestamp"),
      signature: header(request, "webhook-signature"),
    },
    body,
  );
  if (!check.ok || !deliveryId) return reject(context, 401, { error: check.ok ? "no webhook-id" : check.reason });
  let delivery: IDataObject;
  try {
    delivery = JSON.parse(body) as IDataObject;
  } catch {
    return reject(context, 400, { error: "the body is not JSON" });
  }
  if (!wanted(context, String(delivery.event ?? ""), delivery.parkingId)) {
    return { webhookResponse: { received: true, deliveryId, ignored: true } };
  }
  // Copies of one delivery (edge retries, replays inside the signature window) start one run.
  const claim = await claimDelivery(context, deliveryId, subscriptionId);
  if (!claim.run) {
    if (claim.status === 200) return { webhookResponse: { received: true, deliveryId, duplicate: true } };
    if (claim.status === 409) {
      context.getResponseObject().setHeader("retry-after", String(claim.retryAfterSeconds));
      return reject(context, 409, {
        error: "another request holds this delivery's claim: it runs there, or this one is retried",
        deliveryId,
        state: claim.state,
      });
    }
    return reject(context, 503, { error: `could not claim the delivery at the edge: ${claim.error}`, deliveryId });
  }
  return {
    webhookResponse: { received: true, deliveryId, started: true },
    workflowData: [context.helpers.returnJsonArray([delivery])],
  };
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
  // One synchronous check-and-record: a copy arriving at the same moment is a duplicate.
  const seen = recordDelivery(context, verified);
  if (seen === "duplicate") return { webhookResponse: PLATFORM_ACK };
  if (seen === "reused_signature") {
    // The md5 sign does not cover the body: a known (timestamp, sign) with another body is refused.
    return reject(context, 401, {
      code: 1,
      msg: "timestamp and sign were already used with another body",
      reason: "reused_signature",
      field: "sign",
    });
  }
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
