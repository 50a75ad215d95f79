/** The edge subscription behind an active trigger: created on activation, deleted on deactivation. */
import { checkSubscriberUrl } from "@parkbridge/shared";
import { type IDataObject, type IHookFunctions, NodeOperationError } from "n8n-workflow";
import { edgeRequest } from "../ParkbridgeEdge/transport";

export interface SubscriptionState extends IDataObject {
  subscriptionId?: string;
  secret?: string;
}

export function subscriptionState(context: Pick<IHookFunctions, "getWorkflowStaticData">): SubscriptionState {
  return context.getWorkflowStaticData("node") as SubscriptionState;
}

/** What the trigger's subscription carries of personal data (its Personal Data option). */
const personalDataOf = (context: IHookFunctions) =>
  context.getNodeParameter("personalData", "masked") === "full" ? "full" : "masked";

export async function subscriptionExists(context: IHookFunctions): Promise<boolean> {
  const state = subscriptionState(context);
  if (!state.subscriptionId || !state.secret) return false;
  const answer = (await edgeRequest(context, { method: "GET", path: "/api/subscriptions" })) as {
    items?: Array<{ id?: string; url?: string; personalData?: string }>;
  };
  const url = context.getNodeWebhookUrl("default");
  const mine = (answer.items ?? []).find((item) => item.id === state.subscriptionId && item.url === url);
  // Made with another personal-data choice: removed here, so activation makes it again with this one.
  if (mine && (mine.personalData ?? "masked") !== personalDataOf(context)) {
    await unsubscribe(context);
    return false;
  }
  const found = mine !== undefined;
  if (!found) {
    delete state.subscriptionId;
    delete state.secret;
  }
  return found;
}

export async function subscribe(context: IHookFunctions): Promise<boolean> {
  const events = context.getNodeParameter("events", []) as string[];
  const parkingId = String(context.getNodeParameter("parkingId", "") ?? "").trim();
  const url = context.getNodeWebhookUrl("default") as string;
  // The edge's own check (shared/src/edge/subscriber-url.ts), here first so the reason comes with a hint.
  // Loopback is the edge's decision (ALLOW_LOOPBACK_SUBSCRIBERS, for local development).
  const check = checkSubscriberUrl(url, { allowLoopback: true });
  if (!check.ok) {
    throw new NodeOperationError(
      context.getNode(),
      `The edge cannot deliver to this workflow's webhook URL: url ${check.reason}`,
      {
        description:
          "Events are delivered only to https URLs of public hosts. Set n8n's WEBHOOK_URL to the public https address n8n is reached at.",
      },
    );
  }
  const body: IDataObject = { url };
  if (events.length > 0) body.events = events;
  if (parkingId) body.parkingId = parkingId;
  const platform = String(context.getNodeParameter("platform", "") ?? "");
  if (platform) body.platform = platform;
  if (personalDataOf(context) === "full") body.personalData = "full";
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
