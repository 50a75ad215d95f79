/** The edge subscription behind an active trigger: created on activation, deleted on deactivation. */
import type { IDataObject, IHookFunctions } from "n8n-workflow";
import { edgeRequest } from "../ParkbridgeEdge/transport";

export interface SubscriptionState extends IDataObject {
  subscriptionId?: string;
  secret?: string;
}

export function subscriptionState(context: Pick<IHookFunctions, "getWorkflowStaticData">): SubscriptionState {
  return context.getWorkflowStaticData("node") as SubscriptionState;
}

export async function subscriptionExists(context: IHookFunctions): Promise<boolean> {
  const state = subscriptionState(context);
  if (!state.subscriptionId || !state.secret) return false;
  const answer = (await edgeRequest(context, { method: "GET", path: "/api/subscriptions" })) as {
    items?: Array<{ id?: string; url?: string }>;
  };
  const url = context.getNodeWebhookUrl("default");
  const found = (answer.items ?? []).some((item) => item.id === state.subscriptionId && item.url === url);
  if (!found) {
    delete state.subscriptionId;
    delete state.secret;
  }
  return found;
}

export async function subscribe(context: IHookFunctions): Promise<boolean> {
  const events = context.getNodeParameter("events", []) as string[];
  const parkingId = String(context.getNodeParameter("parkingId", "") ?? "").trim();
  const body: IDataObject = { url: context.getNodeWebhookUrl("default") as string };
  if (events.length > 0) body.events = events;
  if (parkingId) body.parkingId = parkingId;
  const platform = String(context.getNodeParameter("platform", "") ?? "");
  if (platform) body.platform = platform;
  const created = (await edgeRequest(context, { method: "POST", path: "/api/subscriptions", body })) as {
    id: string;
    secret: string;
  };
  const state = subscriptionState(context);
  state.subscriptionId = created.id;
  state.secret = created.secret;
  return true;
}

export async function unsubscribe(context: IHookFunctions): Promise<boolean> {
  const state = subscriptionState(context);
  if (state.subscriptionId) {
    try {
      await edgeRequest(context, {
        method: "DELETE",
        path: `/api/subscriptions/${encodeURIComponent(state.subscriptionId)}`,
      });
    } catch (error) {
      // Already gone on the Worker: nothing left to remove. Anything else is reported.
      if ((error as { httpCode?: string }).httpCode !== "404") return false;
    }
  }
  delete state.subscriptionId;
  delete state.secret;
  return true;
}
