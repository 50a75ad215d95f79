import { defaultPaths, signCallback } from "@parkbridge/shared";
import type {
  ICredentialDataDecryptedObject,
  ICredentialTestRequest,
  ICredentialType,
  Icon,
  IDataObject,
  IHttpRequestHelper,
  IHttpRequestOptions,
  INodeProperties,
} from "n8n-workflow";

function overrides(credentials: ICredentialDataDecryptedObject): Record<string, string> {
  const raw = credentials.pathOverrides;
  if (!raw) return {};
  const parsed: unknown = typeof raw === "string" ? (raw.trim() ? JSON.parse(raw) : {}) : raw;
  return parsed && typeof parsed === "object" ? (parsed as Record<string, string>) : {};
}

export class ParkingOpenPlatformApi implements ICredentialType {
  name = "parkingOpenPlatformApi";

  displayName = "Parking Open Platform API";

  icon: Icon = { light: "file:../icons/parkbridge.svg", dark: "file:../icons/parkbridge.dark.svg" };

  documentationUrl = "https://www.npmjs.com/package/n8n-nodes-parkbridge";

  properties: INodeProperties[] = [
    {
      displayName: "Base URL",
      name: "baseUrl",
      type: "string",
      default: "",
      placeholder: "https://open.example-parking.cn/api",
      description: "Every operation is POSTed to this URL followed by its path (by default /<operation ID>)",
      required: true,
    },
    {
      displayName: "App Key",
      name: "appKey",
      type: "string",
      default: "",
      required: true,
    },
    {
      displayName: "App Secret",
      name: "appSecret",
      type: "string",
      typeOptions: { password: true },
      default: "",
      required: true,
    },
    {
      displayName: "Send Access Token In",
      name: "sendIn",
      type: "options",
      options: [
        { name: "Header", value: "header", description: "An AccessToken header" },
        { name: "Query", value: "query", description: "An AccessToken query parameter" },
      ],
      default: "header",
    },
    {
      displayName: "Path Overrides",
      name: "pathOverrides",
      type: "json",
      default: "{}",
      description:
        'JSON object of operation ID to path, for a deployment whose paths differ from the defaults, e.g. {"getAccessToken": "/auth/token"}',
    },
    {
      displayName: "Access Token",
      name: "accessToken",
      type: "hidden",
      typeOptions: { expirable: true, password: true },
      default: "",
    },
  ];

  /** Fetches the AccessToken (md5-signed appKey + timestamp); a refusal fails with the platform's message. */
  async preAuthentication(this: IHttpRequestHelper, credentials: ICredentialDataDecryptedObject) {
    const appKey = String(credentials.appKey ?? "");
    const timestamp = Date.now();
    const path = overrides(credentials).getAccessToken ?? defaultPaths.getAccessToken;
    const answer = (await this.helpers.httpRequest({
      method: "POST",
      url: `${String(credentials.baseUrl ?? "").replace(/\/+$/, "")}${path}`,
      body: { appKey, timestamp, sign: signCallback(appKey, timestamp, String(credentials.appSecret ?? "")) },
      json: true,
    })) as IDataObject;
    const result = answer?.result as IDataObject | undefined;
    if (Number(answer?.code) !== 0 || typeof result?.accessToken !== "string") {
      throw new Error(`The platform refused the App Key / App Secret: ${String(answer?.msg ?? "no access token")}`);
    }
    return { accessToken: result.accessToken };
  }

  async authenticate(
    credentials: ICredentialDataDecryptedObject,
    requestOptions: IHttpRequestOptions,
  ): Promise<IHttpRequestOptions> {
    const token = String(credentials.accessToken ?? "");
    if (credentials.sendIn === "query") {
      return { ...requestOptions, qs: { ...(requestOptions.qs ?? {}), AccessToken: token } };
    }
    return { ...requestOptions, headers: { ...(requestOptions.headers ?? {}), AccessToken: token } };
  }

  test: ICredentialTestRequest = {
    request: {
      baseURL: "={{$credentials.baseUrl}}",
      url: "/listParkingLots",
      method: "POST",
      body: {},
      json: true,
    },
    rules: [
      {
        type: "responseSuccessBody",
        properties: { key: "code", value: 1, message: "The platform refused the access token" },
      },
    ],
  };
}
