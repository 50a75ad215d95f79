import { eventOptions, parkingEventKinds, platformOptions } from "@parkbridge/shared";
import type {
  IHookFunctions,
  INodeType,
  INodeTypeDescription,
  IWebhookFunctions,
  IWebhookResponseData,
} from "n8n-workflow";
import { NodeConnectionTypes } from "n8n-workflow";
import { EDGE_CREDENTIAL } from "../ParkbridgeEdge/transport";
import { PLATFORM_CREDENTIAL } from "../ParkingOpenPlatform/client";
import { receiveFromEdge, receiveFromPlatform } from "./receive";
import { subscribe, subscriptionExists, unsubscribe } from "./subscription";

const isEdge = (context: IHookFunctions | IWebhookFunctions) => context.getNodeParameter("mode", "edge") === "edge";

export class ParkingEventsTrigger implements INodeType {
  description: INodeTypeDescription = {
    displayName: "Parking Events Trigger",
    name: "parkingEventsTrigger",
    icon: { light: "file:../../icons/parkbridge-trigger.svg", dark: "file:../../icons/parkbridge-trigger.dark.svg" },
    group: ["trigger"],
    version: 1,
    subtitle: '={{$parameter["mode"] === "edge" ? "through the edge" : "from the platform"}}',
    description:
      "Starts the workflow when a vehicle enters or leaves, a lane camera goes offline or a visitor registers",
    defaults: { name: "Parking Events Trigger" },
    inputs: [],
    outputs: [NodeConnectionTypes.Main],
    // The platform credential is hidden in edge mode rather than shown in direct mode: n8n's editor
    // takes an options parameter all of whose values show a credential for the authentication
    // switch and hides it (and moves it into the credential dialog), which hid the mode. Shown on one
    // value and hidden on the other, the credentials still follow the mode, and the mode stays in view.
    credentials: [
      { name: EDGE_CREDENTIAL, required: true, displayOptions: { show: { mode: ["edge"] } } },
      { name: PLATFORM_CREDENTIAL, required: true, displayOptions: { hide: { mode: ["edge"] } } },
    ],
    webhooks: [
      {
        name: "default",
        httpMethod: "POST",
        responseMode: "onReceived",
        // The node's own webhookResponse is the answer (n8n's default, "firstEntryJson", would be
        // sent as that literal text in this mode).
        responseData: "",
        path: "parking-events",
      },
    ],
    properties: [
      {
        displayName: "Mode",
        name: "mode",
        type: "options",
        options: [
          {
            name: "Through the Parkbridge Edge",
            value: "edge",
            description:
              "Subscribe to the edge Worker on activation; deliveries are signed (Standard Webhooks) and checked",
          },
          {
            name: "Directly From the Platform",
            value: "direct",
            description:
              "Set this webhook’s URL as the platform’s callback address; its md5 signature is checked with the app secret",
          },
        ],
        default: "edge",
        description: "How the platform’s events reach this workflow",
      },
      {
        displayName:
          "On activation this trigger subscribes to the Parkbridge Edge Worker (the Parkbridge Edge API credential) and unsubscribes on deactivation. Each delivery is checked against its Standard Webhooks signature and claimed at the edge, so a delivery sent twice runs the workflow once.",
        name: "edgeNotice",
        type: "notice",
        default: "",
        displayOptions: { show: { mode: ["edge"] } },
      },
      {
        displayName:
          "Set this node’s Production URL (Webhook URLs, above) as the platform’s callback address, then activate the workflow. Callbacks are checked against the md5 signature of the Parking Open Platform API credential’s App Secret; a callback sent twice runs the workflow once.",
        name: "directNotice",
        type: "notice",
        default: "",
        displayOptions: { show: { mode: ["direct"] } },
      },
      {
        displayName: "Events",
        name: "events",
        type: "multiOptions",
        options: eventOptions.map(({ value, name, description }) => ({ name, value, description })),
        default: [...parkingEventKinds],
        description:
          "Which events start the workflow (the one vocabulary of both platforms; directly from the platform, only the open platform's)",
      },
      {
        displayName: "Platform",
        name: "platform",
        type: "options",
        options: [
          { name: "Both", value: "", description: "Events of both platforms" },
          ...platformOptions.map(({ value, name, description }) => ({ name, value, description })),
        ],
        default: "",
        description: "Only events of this platform",
        displayOptions: { show: { mode: ["edge"] } },
      },
      {
        displayName: "Parking Lot ID",
        name: "parkingId",
        type: "string",
        default: "",
        placeholder: "e.g. park1",
        description: "Only events of this lot; empty for every lot",
      },
      {
        displayName: "Personal Data",
        name: "personalData",
        type: "options",
        options: [
          {
            name: "Masked",
            value: "masked",
            description: "Phone numbers as 138****8000, names shortened, no raw body",
          },
          {
            name: "Full",
            value: "full",
            description: "Names, phone numbers and the raw body as stored: this workflow then holds personal data",
          },
        ],
        default: "masked",
        displayOptions: { show: { mode: ["edge"] } },
        description: "What each event carries of car owners’ and visitors’ personal data (docs/privacy.md)",
      },
    ],
  };

  webhookMethods = {
    default: {
      async checkExists(this: IHookFunctions): Promise<boolean> {
        // Direct mode registers nothing: the platform is pointed at the webhook URL by hand.
        return isEdge(this) ? await subscriptionExists(this) : true;
      },
      async create(this: IHookFunctions): Promise<boolean> {
        return isEdge(this) ? await subscribe(this) : true;
      },
      async delete(this: IHookFunctions): Promise<boolean> {
        return isEdge(this) ? await unsubscribe(this) : true;
      },
    },
  };

  async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
    return isEdge(this) ? await receiveFromEdge(this) : await receiveFromPlatform(this);
  }
}
