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
      displayName: "Admin Token",
      name: "adminToken",
      type: "string",
      typeOptions: { password: true },
      default: "",
      required: true,
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
