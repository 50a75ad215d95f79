/**
 * A `fetch` for the protocol package's clients that goes through n8n's own HTTP helper, so
 * calls honour the instance's proxy and TLS settings and show in n8n's request logging.
 */
import type { IDataObject, IHttpRequestMethods, IHttpRequestOptions, IN8nHttpFullResponse } from "n8n-workflow";

export type HttpRequest = (options: IHttpRequestOptions) => Promise<unknown>;

function bodyText(body: unknown): string {
  if (body === undefined || body === null) return "";
  if (typeof body === "string") return body;
  if (body instanceof ArrayBuffer) return new TextDecoder().decode(new Uint8Array(body));
  if (ArrayBuffer.isView(body)) {
    return new TextDecoder().decode(new Uint8Array(body.buffer, body.byteOffset, body.byteLength));
  }
  // Some n8n versions parse JSON answers whatever the requested encoding: give the text back.
  return JSON.stringify(body);
}

/** Errors keep fetch's shape (`cause.code`) so the client can tell an unsent request from a lost answer. */
function asFetchError(error: { message?: string; code?: string; cause?: { code?: string } }): Error {
  const failure = new Error(`fetch failed: ${error.message ?? "unknown error"}`) as Error & { cause?: unknown };
  failure.cause = { code: error.code ?? error.cause?.code };
  return failure;
}

export function fetchThroughN8n(httpRequest: HttpRequest): typeof fetch {
  return async (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.toString() : input.url;
    const headers: IDataObject = {};
    new Headers(init?.headers).forEach((value, key) => {
      headers[key] = value;
    });
    let response: IN8nHttpFullResponse;
    try {
      response = (await httpRequest({
        url,
        method: (init?.method ?? "GET") as IHttpRequestMethods,
        headers,
        body: typeof init?.body === "string" ? init.body : undefined,
        json: false,
        encoding: "text",
        returnFullResponse: true,
        ignoreHttpStatusErrors: true,
        abortSignal: init?.signal ?? undefined,
      })) as IN8nHttpFullResponse;
    } catch (error) {
      return Promise.reject(asFetchError(error as { message?: string; code?: string }));
    }
    const responseHeaders = new Headers();
    for (const [key, value] of Object.entries(response.headers ?? {})) {
      if (value !== undefined && value !== null) responseHeaders.set(key, String(value));
    }
    return new Response(bodyText(response.body), { status: response.statusCode, headers: responseHeaders });
  };
}
