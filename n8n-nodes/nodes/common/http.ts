/**
 * A `fetch` for the protocol package's clients that goes through n8n's own HTTP helper, so
 * calls honour the instance's proxy and TLS settings and show in n8n's request logging.
 */
import type { IDataObject, IHttpRequestMethods, IHttpRequestOptions, IN8nHttpFullResponse } from "n8n-workflow";

export type HttpRequest = (options: IHttpRequestOptions) => Promise<unknown>;

/**
 * The answer's bytes as received: the client decodes them by the charset the answer declares
 * (Ebopark's servers may answer in GBK), so n8n must not decode them as UTF-8 first.
 */
function bodyBytes(body: unknown): Uint8Array<ArrayBuffer> {
  if (body === undefined || body === null) return new Uint8Array();
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  // A copy: a Buffer's memory may be a pooled slab, and a Response takes an ArrayBuffer view.
  if (ArrayBuffer.isView(body)) return new Uint8Array(new Uint8Array(body.buffer, body.byteOffset, body.byteLength));
  // Some n8n versions parse JSON answers whatever the requested encoding: give the text back.
  return new TextEncoder().encode(typeof body === "string" ? body : JSON.stringify(body));
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
        encoding: "arraybuffer",
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
    return new Response(bodyBytes(response.body), { status: response.statusCode, headers: responseHeaders });
  };
}
