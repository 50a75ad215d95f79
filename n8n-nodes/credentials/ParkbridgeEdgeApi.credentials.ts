import type {
  IAuthenticateGeneric,
  ICredentialTestRequest,
  ICredentialType,
  Icon,
  INodeProperties,
} from "n8n-workflow";

export class ParkbridgeEdgeApi implements ICredentialType {
  name = "parkbridgeEdgeApi";

  displayName = "Parkbridge Edge API";

  icon: Icon = { light: "file:../icons/edge.svg", dark: "file:../icons/edge.dark.svg" };

  documentationUrl = "https://www.npmjs.com/package/n8n-nodes-parkbridge";

  properties: INodeProperties[] = [
    {
      displayName: "Worker URL",
      name: "url",
      type: "string",
      default: "",
      placeholder: "https://parkbridge.example.workers.dev",
      required: true,
    },
    {
      // The name stays adminToken: credentials saved before the read-only token existed keep working.
      displayName: "Token",
      name: "adminToken",
      type: "string",
      typeOptions: { password: true },
      default: "",
      required: true,
      description:
        "The Worker's ADMIN_TOKEN for visitor grants, deliveries and personal data. The read-only READ_TOKEN is enough for the Parking Events Trigger and for reading events, lots and lanes.",
    },
  ];

  authenticate: IAuthenticateGeneric = {
    type: "generic",
    properties: {
      headers: {
        Authorization: "=Bearer {{$credentials.adminToken}}",
      },
    },
  };

  test: ICredentialTestRequest = {
    request: {
      baseURL: "={{$credentials.url}}",
      url: "/api/subscriptions",
      method: "GET",
    },
  };
}
