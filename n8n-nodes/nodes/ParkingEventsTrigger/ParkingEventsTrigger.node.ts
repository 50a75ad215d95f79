import { callbackEventIds, eventOptions } from "@parkbridge/shared";
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
    credentials: [
      { name: EDGE_CREDENTIAL, required: true, displayOptions: { show: { mode: ["edge"] } } },
      { name: PLATFORM_CREDENTIAL, required: true, displayOptions: { show: { mode: ["direct"] } } },
    ],
    webhooks: [
      {
        name: "default",
        httpMethod: "POST",
        responseMode: "onReceived",
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
      },
      {
        displayName: "Events",
        name: "events",
        type: "multiOptions",
        options: eventOptions.map(({ value, name, description }) => ({ name, value, description })),
        default: [...callbackEventIds],
        description: "Which events start the workflow",
      },
      {
        displayName: "Parking Lot ID",
        name: "parkingId",
        type: "string",
        default: "",
        placeholder: "e.g. park1",
        description: "Only events of this lot; empty for every lot",
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
