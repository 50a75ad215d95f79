/**
 * Calls to the parkbridge edge Worker (docs: EDGE_API contract): authenticated by the
 * credential's Bearer token, errors `{error: {code, message, field?, platformMsg?}}` turned into
 * NodeApiErrors that carry the platform's own message when the Worker relays one.
 */
import type {
  ICredentialDataDecryptedObject,
  IDataObject,
  IExecuteFunctions,
  IHookFunctions,
  IHttpRequestMethods,
  IHttpRequestOptions,
  IWebhookFunctions,
  JsonObject,
} from "n8n-workflow";
import { NodeApiError } from "n8n-workflow";

export const EDGE_CREDENTIAL = "parkbridgeEdgeApi";

interface EdgeErrorBody {
  error?: { code?: string; message?: string; field?: string; platformMsg?: string };
}

export interface EdgeRequest {
  method: IHttpRequestMethods;
  path: string;
  body?: IDataObject;
  qs?: IDataObject;
  itemIndex?: number;
}

/**
 * One call to the Worker. With `credentials` already read (the trigger's claim, on the request
 * path of every delivery), the call sends the credential's Bearer header itself, as its
 * `authenticate` does, rather than have n8n load, decrypt and template the credential again for
 * each call.
 */
export async function edgeRequest(
  context: IExecuteFunctions | IHookFunctions | IWebhookFunctions,
  request: EdgeRequest,
  credentials?: ICredentialDataDecryptedObject,
): Promise<unknown> {
  const read: ICredentialDataDecryptedObject = credentials ?? (await context.getCredentials(EDGE_CREDENTIAL));
  const baseURL = String(read.url ?? "").replace(/\/+$/, "");
  const qs = Object.fromEntries(
    Object.entries(request.qs ?? {}).filter(([, value]) => value !== undefined && value !== null && value !== ""),
  );
  const options: IHttpRequestOptions = {
    method: request.method,
    url: `${baseURL}${request.path}`,
    qs,
    ...(request.body ? { body: request.body } : {}),
    json: true,
    returnFullResponse: true,
    ignoreHttpStatusErrors: true,
  };
  const response = (
    credentials
      ? await context.helpers.httpRequest({
          ...options,
          headers: { Authorization: `Bearer ${String(credentials.adminToken ?? "")}` },
        })
      : await context.helpers.httpRequestWithAuthentication.call(context, EDGE_CREDENTIAL, options)
  ) as { statusCode: number; body: unknown };
  if (response.statusCode >= 200 && response.statusCode < 300) return response.body;
  const failure = (response.body as EdgeErrorBody | undefined)?.error;
  const reason = failure?.message ?? `HTTP ${response.statusCode}`;
  const message = failure?.platformMsg ? `${reason}: ${failure.platformMsg}` : reason;
  throw new NodeApiError(context.getNode(), (response.body ?? {}) as JsonObject, {
    message: `The parkbridge edge refused ${request.method} ${request.path.split("?")[0]}: ${message}`,
    description: [
      failure?.code ? `Code: ${failure.code}` : undefined,
      failure?.field ? `Field: ${failure.field}` : undefined,
      failure?.platformMsg ? `Platform message: ${failure.platformMsg}` : undefined,
    ]
      .filter(Boolean)
      .join(". "),
    httpCode: String(response.statusCode),
    ...(request.itemIndex !== undefined ? { itemIndex: request.itemIndex } : {}),
  });
}

/** Follows `nextCursor` until `limit` items are gathered (Infinity for all). */
export async function edgeList(
  context: IExecuteFunctions,
  path: string,
  qs: IDataObject,
  limit: number,
  pageLimit: number,
  itemIndex: number,
): Promise<IDataObject[]> {
  const items: IDataObject[] = [];
  let cursor: string | undefined;
  do {
    const page = (await edgeRequest(context, {
      method: "GET",
      path,
      qs: { ...qs, cursor, limit: Math.min(pageLimit, Number.isFinite(limit) ? limit - items.length : pageLimit) },
      itemIndex,
    })) as { items?: IDataObject[]; nextCursor?: string | null };
    items.push(...(page.items ?? []));
    cursor = page.nextCursor ?? undefined;
  } while (cursor && items.length < limit);
  return Number.isFinite(limit) ? items.slice(0, limit) : items;
}
