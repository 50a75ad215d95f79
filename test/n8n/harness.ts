/**
 * A harness of n8n's node execution contexts, faithful to what n8n-core does for the parts our
 * nodes use: parameters resolved with the description's defaults and display rules
 * (n8n-workflow's NodeHelpers.getNodeParameters), credentials with preAuthentication and
 * `authenticate`, the HTTP helpers over real fetch, the credential test's request and rules,
 * and the webhook request/response objects. No network but loopback.
 */
import type {
  ICredentialDataDecryptedObject,
  ICredentialType,
  IDataObject,
  IExecuteFunctions,
  IHookFunctions,
  IHttpRequestOptions,
  ILoadOptionsFunctions,
  INode,
  INodeExecutionData,
  INodeParameters,
  INodeType,
  IWebhookFunctions,
} from "../../n8n-nodes/node_modules/n8n-workflow/dist/esm/index.js";
import { NodeHelpers } from "../../n8n-nodes/node_modules/n8n-workflow/dist/esm/index.js";

/** A parameter value, or a function of the item (what an n8n expression would give). */
export type ParameterValue = unknown | ((itemIndex: number, item: INodeExecutionData) => unknown);

export interface HarnessOptions {
  parameters: Record<string, ParameterValue>;
  credentials?: Record<string, ICredentialDataDecryptedObject>;
  credentialTypes?: ICredentialType[];
  items?: INodeExecutionData[];
  continueOnFail?: boolean;
  staticData?: IDataObject;
  webhookUrl?: string;
  /** The workflow's id (webhook functions' getWorkflow()). */
  workflowId?: string;
}

/** Every HTTP request the helpers made (for assertions on what was sent). */
export interface SentRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

function lodashGet(source: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], source);
}

/** n8n-core's returnJsonArray. */
export function returnJsonArray(jsonData: IDataObject | IDataObject[]): INodeExecutionData[] {
  const list = Array.isArray(jsonData) ? jsonData : [jsonData];
  return list.map((data) => (data?.json ? (data as unknown as INodeExecutionData) : { json: data }));
}

/** n8n-core's constructExecutionMetaData. */
export function constructExecutionMetaData(
  inputData: INodeExecutionData[],
  options: { itemData: { item: number } | Array<{ item: number }> },
): INodeExecutionData[] {
  return inputData.map((data) => {
    const { json, ...rest } = data;
    return { json, pairedItem: options.itemData, ...rest } as INodeExecutionData;
  });
}

/** Resolves `{{$credentials.name}}` templates (all n8n's generic authenticate uses here). */
function resolveTemplate(value: unknown, credentials: ICredentialDataDecryptedObject): IDataObject[string] {
  if (typeof value !== "string") return value as IDataObject[string];
  const text = value.startsWith("=") ? value.slice(1) : value;
  return text.replace(/\{\{\s*\$credentials\.([A-Za-z0-9_]+)\s*\}\}/g, (_all, name: string) =>
    String(credentials[name] ?? ""),
  );
}

export class HttpError extends Error {
  constructor(
    message: string,
    readonly httpCode: string,
    readonly response: { status: number; body: unknown },
  ) {
    super(message);
  }
}

/** n8n's helpers.httpRequest over real fetch (the options our nodes and credentials use). */
export async function httpRequest(options: IHttpRequestOptions, log?: SentRequest[]): Promise<unknown> {
  const base = options.baseURL ? options.baseURL.replace(/\/+$/, "") : "";
  const url = new URL(base && !/^https?:/.test(options.url) ? `${base}${options.url}` : options.url);
  for (const [key, value] of Object.entries(options.qs ?? {})) {
    if (value !== undefined && value !== null) url.searchParams.set(key, String(value));
  }
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(options.headers ?? {})) headers[key.toLowerCase()] = String(value);
  let body: string | undefined;
  if (typeof options.body === "string") body = options.body;
  else if (options.body !== undefined && options.body !== null && options.method !== "GET") {
    body = JSON.stringify(options.body);
    headers["content-type"] ??= "application/json";
  }
  if (options.json) headers.accept ??= "application/json";
  log?.push({ method: options.method ?? "GET", url: url.toString(), headers, body });
  const response = await fetch(url, {
    method: options.method ?? "GET",
    headers,
    body,
    signal: (options.abortSignal as AbortSignal | undefined) ?? null,
  });
  // As n8n's helper: `encoding: "arraybuffer"` answers the bytes as received (a Buffer), undecoded.
  if (options.encoding === "arraybuffer") {
    const bytes = Buffer.from(await response.arrayBuffer());
    if (!response.ok && !options.ignoreHttpStatusErrors) {
      throw new HttpError(`Request failed with status code ${response.status}`, String(response.status), {
        status: response.status,
        body: bytes,
      });
    }
    return options.returnFullResponse
      ? {
          body: bytes,
          headers: headersObject(response.headers),
          statusCode: response.status,
          statusMessage: response.statusText,
        }
      : bytes;
  }
  const text = await response.text();
  let parsed: unknown = text;
  const isJson = (response.headers.get("content-type") ?? "").includes("json");
  if ((options.json || isJson) && options.encoding !== "text" && text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  if (!response.ok && !options.ignoreHttpStatusErrors) {
    throw new HttpError(`Request failed with status code ${response.status}`, String(response.status), {
      status: response.status,
      body: parsed,
    });
  }
  if (options.returnFullResponse) {
    return {
      body: parsed,
      headers: headersObject(response.headers),
      statusCode: response.status,
      statusMessage: response.statusText,
    };
  }
  return parsed;
}

function headersObject(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, key) => {
    out[key] = value;
  });
  return out;
}

type HttpHelper = (options: IHttpRequestOptions) => Promise<unknown>;

/** n8n's preAuthentication + authenticate, then the request (and one refresh on 401, as n8n does). */
export async function httpRequestWithAuthentication(
  type: ICredentialType,
  data: ICredentialDataDecryptedObject,
  options: IHttpRequestOptions,
  request: HttpHelper,
): Promise<unknown> {
  const expirable = type.properties.find((p) => p.typeOptions?.expirable);
  if (type.preAuthentication && expirable && !data[expirable.name]) {
    Object.assign(data, await type.preAuthentication.call({ helpers: { httpRequest: request } } as never, data));
  }
  let authenticated = options;
  if (typeof type.authenticate === "function") {
    authenticated = await type.authenticate(data, options);
  } else if (type.authenticate?.type === "generic") {
    const { headers = {}, qs = {} } = type.authenticate.properties as { headers?: IDataObject; qs?: IDataObject };
    authenticated = {
      ...options,
      headers: {
        ...(options.headers ?? {}),
        ...Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, resolveTemplate(v, data)])),
      },
      qs: {
        ...(options.qs ?? {}),
        ...Object.fromEntries(Object.entries(qs).map(([k, v]) => [k, resolveTemplate(v, data)])),
      },
    };
  }
  return await request(authenticated);
}

/** n8n's credential test for a credential with a `test` request: preAuthentication, request, rules. */
export async function testCredential(
  type: ICredentialType,
  data: ICredentialDataDecryptedObject,
): Promise<{ status: "OK" | "Error"; message: string }> {
  const test = type.test;
  if (!test) throw new Error(`${type.name} has no test request`);
  const copy = { ...data };
  try {
    const response = (await httpRequestWithAuthentication(
      type,
      copy,
      {
        ...(test.request as IHttpRequestOptions),
        baseURL: resolveTemplate(test.request.baseURL, copy) as string,
        url: resolveTemplate(test.request.url ?? "", copy) as string,
        returnFullResponse: true,
      },
      (options) => httpRequest(options),
    )) as { body: unknown };
    for (const rule of test.rules ?? []) {
      if (rule.type === "responseSuccessBody") {
        const { key, value, message } = rule.properties;
        if (lodashGet(response.body, key) === value) return { status: "Error", message };
      }
    }
    return { status: "OK", message: "Connection successful!" };
  } catch (error) {
    return { status: "Error", message: (error as Error).message };
  }
}

export interface Harness {
  node: INode;
  requests: SentRequest[];
  staticData: IDataObject;
  /** The fully resolved parameters (defaults applied) for an item. */
  parametersFor(itemIndex: number): INodeParameters;
}

function createBase(nodeType: INodeType, options: HarnessOptions) {
  const description = nodeType.description;
  const items = options.items ?? [{ json: {} }];
  const requests: SentRequest[] = [];
  const staticData = options.staticData ?? {};
  const credentialTypes = new Map((options.credentialTypes ?? []).map((type) => [type.name, type]));
  const node: INode = {
    id: "node-under-test",
    name: description.defaults.name ?? description.displayName,
    type: `n8n-nodes-parkbridge.${description.name}`,
    typeVersion: 1,
    position: [0, 0],
    parameters: {},
  };

  function parametersFor(itemIndex: number): INodeParameters {
    const item = items[itemIndex] ?? { json: {} };
    const values: INodeParameters = {};
    for (const [name, value] of Object.entries(options.parameters)) {
      values[name] = (typeof value === "function" ? value(itemIndex, item) : value) as INodeParameters[string];
    }
    const resolved = NodeHelpers.getNodeParameters(description.properties, values, true, false, node, description);
    if (!resolved) throw new Error("parameters could not be resolved");
    return resolved;
  }
  node.parameters = parametersFor(0);

  function getNodeParameter(
    name: string,
    itemIndex: number,
    fallback?: unknown,
    extra?: { extractValue?: boolean },
  ): unknown {
    let value = lodashGet(parametersFor(itemIndex), name);
    if (value === undefined) {
      if (fallback !== undefined) return fallback;
      throw new Error(`Could not get parameter "${name}"`);
    }
    if (extra?.extractValue && value && typeof value === "object" && "__rl" in value) {
      value = (value as unknown as { value: unknown }).value;
    }
    return value;
  }

  async function getCredentials(type: string): Promise<ICredentialDataDecryptedObject> {
    const data = options.credentials?.[type];
    if (!data) throw new Error(`Node does not have any credentials of type "${type}" set`);
    return data;
  }

  const request: HttpHelper = (requestOptions) => httpRequest(requestOptions, requests);
  const helpers = {
    httpRequest: request,
    async httpRequestWithAuthentication(this: unknown, type: string, requestOptions: IHttpRequestOptions) {
      const credentialType = credentialTypes.get(type);
      if (!credentialType) throw new Error(`credential type ${type} not registered in the harness`);
      return await httpRequestWithAuthentication(credentialType, await getCredentials(type), requestOptions, request);
    },
    returnJsonArray,
    constructExecutionMetaData,
  };
  return { node, items, requests, staticData, parametersFor, getNodeParameter, getCredentials, helpers };
}

/** IExecuteFunctions for one node run. */
export function executeContext(nodeType: INodeType, options: HarnessOptions): IExecuteFunctions & Harness {
  const base = createBase(nodeType, options);
  return {
    node: base.node,
    requests: base.requests,
    staticData: base.staticData,
    parametersFor: base.parametersFor,
    getNode: () => base.node,
    getInputData: () => base.items,
    getNodeParameter: base.getNodeParameter,
    getCredentials: base.getCredentials,
    continueOnFail: () => options.continueOnFail ?? false,
    getWorkflowStaticData: () => base.staticData,
    helpers: base.helpers,
  } as unknown as IExecuteFunctions & Harness;
}

/** Runs a node's execute() as n8n does for one run. */
export async function runNode(nodeType: INodeType, options: HarnessOptions) {
  const context = executeContext(nodeType, options);
  const output = (await nodeType.execute?.call(context)) as INodeExecutionData[][];
  return { output: output[0] ?? [], context };
}

/** ILoadOptionsFunctions for pickers. */
export function loadOptionsContext(nodeType: INodeType, options: HarnessOptions): ILoadOptionsFunctions & Harness {
  const base = createBase(nodeType, options);
  return {
    node: base.node,
    requests: base.requests,
    staticData: base.staticData,
    parametersFor: base.parametersFor,
    getNode: () => base.node,
    getCredentials: base.getCredentials,
    getCurrentNodeParameter: (name: string, extra?: { extractValue?: boolean }) =>
      base.getNodeParameter(name, 0, null, extra) ?? undefined,
    getNodeParameter: (name: string, fallback?: unknown) => base.getNodeParameter(name, 0, fallback),
    helpers: base.helpers,
  } as unknown as ILoadOptionsFunctions & Harness;
}

/** IHookFunctions (activation / deactivation of a trigger). */
export function hookContext(nodeType: INodeType, options: HarnessOptions): IHookFunctions & Harness {
  const base = createBase(nodeType, options);
  return {
    node: base.node,
    requests: base.requests,
    staticData: base.staticData,
    parametersFor: base.parametersFor,
    getNode: () => base.node,
    getCredentials: base.getCredentials,
    getNodeParameter: (name: string, fallback?: unknown, extra?: { extractValue?: boolean }) =>
      base.getNodeParameter(name, 0, fallback, extra),
    getNodeWebhookUrl: () => options.webhookUrl ?? "http://127.0.0.1:5678/webhook/test/parking-events",
    getWorkflowStaticData: () => base.staticData,
    helpers: base.helpers,
  } as unknown as IHookFunctions & Harness;
}

export interface RecordedResponse {
  statusCode?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface IncomingDelivery {
  headers: Record<string, string>;
  body: string;
}

/** IWebhookFunctions for one delivery; `response` records what the node answered directly. */
export function webhookContext(
  nodeType: INodeType,
  options: HarnessOptions,
  delivery: IncomingDelivery,
): IWebhookFunctions & Harness & { response: RecordedResponse } {
  const base = createBase(nodeType, options);
  const headers = Object.fromEntries(Object.entries(delivery.headers).map(([k, v]) => [k.toLowerCase(), v]));
  let parsed: unknown;
  try {
    parsed = JSON.parse(delivery.body);
  } catch {
    parsed = {};
  }
  const response: RecordedResponse = {};
  const responseObject = {
    status(code: number) {
      response.statusCode = code;
      return responseObject;
    },
    json(body: unknown) {
      response.body = body;
      return responseObject;
    },
    send(body: unknown) {
      response.body = body;
      return responseObject;
    },
    end() {
      return responseObject;
    },
    setHeader(name: string, value: string) {
      response.headers = { ...response.headers, [name.toLowerCase()]: value };
      return responseObject;
    },
  };
  return {
    node: base.node,
    requests: base.requests,
    staticData: base.staticData,
    parametersFor: base.parametersFor,
    response,
    getNode: () => base.node,
    getCredentials: base.getCredentials,
    getNodeParameter: (name: string, fallback?: unknown, extra?: { extractValue?: boolean }) =>
      base.getNodeParameter(name, 0, fallback, extra),
    getWorkflowStaticData: () => base.staticData,
    getWorkflow: () => ({ id: options.workflowId ?? "workflow-under-test", name: "under test", active: true }),
    getMode: () => "webhook",
    getRequestObject: () => ({ headers, body: parsed, rawBody: Buffer.from(delivery.body) }),
    getResponseObject: () => responseObject,
    getNodeWebhookUrl: () => options.webhookUrl,
    helpers: base.helpers,
  } as unknown as IWebhookFunctions & Harness & { response: RecordedResponse };
}
