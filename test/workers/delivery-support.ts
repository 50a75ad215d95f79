/** Subscribers for the delivery tests: the webhook sink (Node, global setup) seen from workerd. */
import { env } from "cloudflare:workers";
import { vi } from "vitest";
import { apiJson } from "./ingest-support.js";

export interface SinkRequest {
  headers: Record<string, string>;
  body: string;
  at: number;
  answered: number | null;
}

let hooks = 0;
export const hookName = (label: string) => `${label}-${Date.now().toString(36)}-${++hooks}`;
export const hookUrl = (name: string) => `${env.WEBHOOK_SINK_URL}/hooks/${name}`;

export async function sinkRequests(name: string): Promise<SinkRequest[]> {
  return (await (await fetch(`${env.WEBHOOK_SINK_URL}/__sink/${name}/requests`)).json()) as SinkRequest[];
}

export async function sinkMode(
  name: string,
  mode: { failNext?: number; down?: boolean; status?: number; hold?: boolean },
): Promise<void> {
  const response = await fetch(`${env.WEBHOOK_SINK_URL}/__sink/${name}/mode`, {
    method: "PUT",
    body: JSON.stringify(mode),
  });
  await response.body?.cancel();
}

export interface CreatedSubscription {
  id: string;
  secret: string;
  url: string;
  events: string[] | null;
  parkingId: string | null;
  createdAt: string;
}

export function subscribe(
  name: string,
  filters: {
    events?: string[];
    parkingId?: string;
    platform?: "open" | "ebopark";
    personalData?: "masked" | "full";
  } = {},
) {
  return apiJson<CreatedSubscription>("/api/subscriptions", {
    method: "POST",
    body: JSON.stringify({ url: hookUrl(name), ...filters }),
  });
}

export interface DeliveryView {
  id: string;
  subscriptionId: string;
  eventId: string;
  event: string;
  status: "pending" | "delivered" | "failed" | "dead";
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
}

export async function deliveriesOf(subscriptionId: string, status?: string): Promise<DeliveryView[]> {
  const query = `subscriptionId=${subscriptionId}${status ? `&status=${status}` : ""}&limit=500`;
  return (await apiJson<{ items: DeliveryView[] }>(`/api/deliveries?${query}`)).items;
}

/** Polls until `check` passes (the queue consumer works in the background). */
export const eventually = <T>(check: () => Promise<T>, timeout = 20_000) =>
  vi.waitFor(check, { timeout, interval: 100 });

/**
 * Verifies a Standard Webhooks signature from first principles (WebCrypto), independently of
 * the Worker's signer: key = base64(secret without "whsec_"), HMAC-SHA256 over "id.timestamp.body".
 */
export async function signatureVerifies(secret: string, request: SinkRequest): Promise<boolean> {
  const key = Uint8Array.from(atob(secret.replace(/^whsec_/, "")), (c) => c.charCodeAt(0));
  const cryptoKey = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
  const id = request.headers["webhook-id"];
  const timestamp = request.headers["webhook-timestamp"];
  const signed = new TextEncoder().encode(`${id}.${timestamp}.${request.body}`);
  const signatures = (request.headers["webhook-signature"] ?? "").split(" ");
  for (const candidate of signatures) {
    const [version, value] = candidate.split(",");
    if (version !== "v1" || !value) continue;
    const mac = Uint8Array.from(atob(value), (c) => c.charCodeAt(0));
    if (await crypto.subtle.verify("HMAC", cryptoKey, mac, signed)) return true;
  }
  return false;
}
