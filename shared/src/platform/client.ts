/**
 * The parking open platform client: one typed method per operation id, derived from the
 * catalogue. Validates before sending, manages the AccessToken, retries only what is safe
 * to retry, follows pages, and splits access-record ranges into the platform's 24 h windows.
 */
import type { z } from "zod";
import { signCallback } from "../callbacks/sign.js";
import { formatPlatformTime, parsePlatformTime } from "../util/time.js";
import { abortAfter, sleep } from "../util/timers.js";
import { PlatformError, TransportError, toFieldIssues, ValidationError } from "./errors.js";
import { FAIL, fastParser } from "./fast-parse.js";
import {
  type CallableOperationId,
  defaultPaths,
  type OperationDefinition,
  type OperationId,
  type OperationInput,
  type OperationResult,
  operationIds,
  operations,
  type PagedItem,
  type PagedOperationId,
  pagedOperationIds,
} from "./operations.js";
import { concatSources, PageIterator, type PageSource, pagesFrom } from "./page-iterator.js";
import { validateRequest } from "./validate.js";

export interface PlatformClientOptions {
  baseUrl: string;
  appKey: string;
  appSecret: string;
  /** Overrides of the default `/{operationId}` paths. */
  paths?: Partial<Record<OperationId, string>>;
  /** Where the AccessToken goes: an `AccessToken` header (default) or query parameter. */
  tokenIn?: "header" | "query";
  fetch?: typeof fetch;
  /** Per-request timeout, ms (default 10 s). */
  timeoutMs?: number;
  /** Extra attempts for reads and unsent requests (default 2). */
  retries?: number;
  /** First backoff delay, ms, doubled each retry with jitter (default 200). */
  retryDelayMs?: number;
  /** Refresh the token this long before it expires, ms (default 60 s, at most a tenth of its life). */
  tokenRefreshMarginMs?: number;
  /** Current time (tests). */
  now?: () => number;
  /**
   * A token shared beyond this client (several Worker invocations of one account): `load` gives
   * the current one, if any, `store` keeps one this client fetched. Without it the client keeps
   * its own. A shared token the platform refused is not used again by this client.
   */
  sharedToken?: SharedToken;
}

/** An AccessToken and when to stop using it (Unix ms: its expiry less the refresh margin). */
export interface CachedToken {
  value: string;
  refreshAt: number;
}

export interface SharedToken {
  load(): Promise<CachedToken | undefined>;
  store(token: CachedToken): Promise<void>;
}

export type OperationMethods = {
  [K in CallableOperationId]: (input: OperationInput<K>) => Promise<OperationResult<K>>;
} & {
  listParkingLots: (input?: OperationInput<"listParkingLots">) => Promise<OperationResult<"listParkingLots">>;
};

export type PagedInput<K extends PagedOperationId> = Omit<OperationInput<K>, "pageNo" | "pageSize"> & {
  pageSize?: number;
  /** Page to start from (default 1). */
  pageNo?: number;
};

export type PlatformClient = OperationMethods & {
  /** Async iterators over every item of each paged operation, following hasMore. */
  iterate: { [K in PagedOperationId]: (input: PagedInput<K>) => AsyncIterableIterator<PagedItem<K>> };
  /** The current AccessToken, fetching or refreshing it if needed. */
  accessToken(): Promise<string>;
  /** Forget the cached token (the next call fetches a new one). */
  invalidateToken(): void;
  /** Fetches a new token now (and stores it where it is shared), whatever the cached one. */
  refreshToken(): Promise<string>;
  /**
   * What this client did so far (for diagnostics and benchmarks). `zodFallbacks`: answers the
   * compiled fast path (fast-parse.ts) did not take, so zod checked them (an invalid answer).
   */
  readonly stats: { requests: number; tokenFetches: number; retries: number; zodFallbacks: number };
};

const ACCESS_RECORD_WINDOW_MS = 24 * 3600_000;

/** Heuristic, documented as such: the platform answers code 1 for every failure, so a token failure is told by its message. */
export function isTokenFailure(msg: string, httpStatus?: number): boolean {
  return httpStatus === 401 || /access\s*token|token|令牌/i.test(msg);
}

function isUnsentFailure(error: unknown): boolean {
  // Connection refused / DNS failures: the request provably never reached the platform.
  const code = (error as { cause?: { code?: string } })?.cause?.code;
  return code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "ECONNRESET_BEFORE_SEND";
}

/** Worth another try for a read: no answer, or the server failing (5xx); a 4xx or garbled answer will not change. */
function isTransient(error: TransportError): boolean {
  if (error.kind === "timeout" || error.kind === "network") return true;
  return (
    error.kind === "http" && (error.httpStatus === undefined || error.httpStatus >= 500 || error.httpStatus === 429)
  );
}

export function createPlatformClient(options: PlatformClientOptions): PlatformClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const timeoutMs = options.timeoutMs ?? 10_000;
  const retries = options.retries ?? 2;
  const retryDelayMs = options.retryDelayMs ?? 200;
  const now = options.now ?? Date.now;
  const paths = { ...defaultPaths, ...options.paths };
  const stats = { requests: 0, tokenFetches: 0, retries: 0, zodFallbacks: 0 };

  let token: CachedToken | undefined;
  let pendingToken: Promise<string> | undefined;
  /** The last token the platform refused: a shared store may still hand it out. */
  let refused: string | undefined;

  function urlFor(id: OperationId, accessToken?: string): string {
    const path = paths[id].startsWith("/") ? paths[id] : `/${paths[id]}`;
    const url = `${baseUrl}${path}`;
    if (accessToken && options.tokenIn === "query") {
      return `${url}${url.includes("?") ? "&" : "?"}AccessToken=${encodeURIComponent(accessToken)}`;
    }
    return url;
  }

  /** One HTTP exchange; returns the parsed envelope or throws a TransportError. */
  async function exchange(
    id: OperationId,
    body: unknown,
    accessToken?: string,
  ): Promise<{ envelope: Record<string, unknown>; status: number }> {
    const headers: Record<string, string> = { "content-type": "application/json; charset=utf-8" };
    if (accessToken && options.tokenIn !== "query") headers.AccessToken = accessToken;
    const controller = new AbortController();
    const clearTimer = abortAfter(controller, timeoutMs);
    stats.requests++;
    let response: Response;
    try {
      response = await doFetch(urlFor(id, accessToken), {
        method: "POST",
        headers,
        body: JSON.stringify(body),
        signal: controller.signal,
      });
    } catch (error) {
      clearTimer();
      if (controller.signal.aborted) {
        throw new TransportError(id, `no answer within ${timeoutMs} ms`, "timeout", undefined, { cause: error });
      }
      throw new TransportError(id, `could not reach the platform: ${(error as Error).message}`, "network", undefined, {
        cause: error,
      });
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      if (controller.signal.aborted) {
        throw new TransportError(id, `no complete answer within ${timeoutMs} ms`, "timeout", response.status, {
          cause: error,
        });
      }
      throw new TransportError(id, `the answer was cut off: ${(error as Error).message}`, "network", response.status, {
        cause: error,
      });
    } finally {
      clearTimer();
    }
    let envelope: unknown;
    try {
      envelope = JSON.parse(text);
    } catch {
      if (!response.ok) throw new TransportError(id, `HTTP ${response.status}`, "http", response.status);
      throw new TransportError(id, `the answer is not JSON: ${text.slice(0, 120)}`, "malformed", response.status);
    }
    if (!envelope || typeof envelope !== "object" || !("code" in envelope)) {
      if (!response.ok) throw new TransportError(id, `HTTP ${response.status}`, "http", response.status);
      throw new TransportError(id, "the answer has no `code`", "malformed", response.status);
    }
    return { envelope: envelope as Record<string, unknown>, status: response.status };
  }

  /** Runs an exchange with the retry policy: reads retry on transport failures; writes only when unsent. */
  async function withRetries<T>(kind: "read" | "write", attempt: () => Promise<T>): Promise<T> {
    for (let tryNo = 0; ; tryNo++) {
      try {
        return await attempt();
      } catch (error) {
        const retryable =
          error instanceof TransportError &&
          tryNo < retries &&
          (kind === "read" ? isTransient(error) : isUnsentFailure(error.cause));
        if (!retryable) throw error;
        stats.retries++;
        const delay = retryDelayMs * 2 ** tryNo;
        await sleep(delay / 2 + Math.random() * (delay / 2));
      }
    }
  }

  async function fetchToken(): Promise<string> {
    const timestamp = now();
    const request = validateRequest("getAccessToken", {
      appKey: options.appKey,
      timestamp,
      sign: signCallback(options.appKey, timestamp, options.appSecret),
    });
    stats.tokenFetches++;
    const { envelope, status } = await withRetries("read", () => exchange("getAccessToken", request));
    const result = unwrap("getAccessToken", envelope, status);
    const lifeMs = result.expiresIn * 1000;
    const margin = Math.min(options.tokenRefreshMarginMs ?? 60_000, lifeMs / 10);
    token = { value: result.accessToken, refreshAt: now() + lifeMs - margin };
    await options.sharedToken?.store(token);
    return result.accessToken;
  }

  /** The shared token if it is usable, else a new one. */
  async function loadOrFetchToken(): Promise<string> {
    const shared = await options.sharedToken?.load();
    if (shared && now() < shared.refreshAt && shared.value !== refused) {
      token = shared;
      return shared.value;
    }
    return fetchToken();
  }

  function single(fetcher: () => Promise<string>): Promise<string> {
    // Concurrent callers share one refresh.
    pendingToken ??= fetcher().finally(() => {
      pendingToken = undefined;
    });
    return pendingToken;
  }

  function accessToken(): Promise<string> {
    if (token && now() < token.refreshAt) return Promise.resolve(token.value);
    return single(loadOrFetchToken);
  }

  function unwrap<K extends OperationId>(id: K, envelope: Record<string, unknown>, status: number): OperationResult<K> {
    const definition = operations[id] as OperationDefinition;
    const code = Number(envelope.code);
    if (code !== 0) {
      throw new PlatformError(id, Number.isFinite(code) ? code : -1, String(envelope.msg ?? "(no message)"), status);
    }
    // Two operations answer under `data`, the rest under `result`: accept either.
    const payload = envelope[definition.resultKey] ?? envelope.result ?? envelope.data;
    // The compiled fast path gives zod's answer for a valid payload; zod itself explains an invalid one.
    const fast = fastParser(definition.result as z.ZodType)(payload);
    if (fast !== FAIL) return fast as OperationResult<K>;
    stats.zodFallbacks++;
    const parsed = (definition.result as z.ZodType).safeParse(payload);
    if (!parsed.success) {
      const issue = toFieldIssues(parsed.error, undefined, payload)[0];
      throw new TransportError(
        id,
        `the platform's answer does not match the catalogue: ${issue?.field} ${issue?.reason}`,
        "malformed",
        status,
      );
    }
    return parsed.data as OperationResult<K>;
  }

  async function call<K extends CallableOperationId>(id: K, input: OperationInput<K>): Promise<OperationResult<K>> {
    const definition = operations[id] as OperationDefinition;
    const request = validateRequest(id, input);
    let refreshed = false;
    for (;;) {
      const tokenValue = await accessToken();
      const { envelope, status } = await withRetries(definition.kind, () => exchange(id, request, tokenValue));
      const code = Number(envelope.code);
      if (code !== 0 && !refreshed && isTokenFailure(String(envelope.msg ?? ""), status)) {
        // The platform refused the token without acting: safe to retry once, also for writes.
        refreshed = true;
        refused = tokenValue;
        if (token?.value === tokenValue) token = undefined;
        continue;
      }
      return unwrap(id, envelope, status);
    }
  }

  /** Consecutive windows of at most 24 h covering [start, end], each starting a second after the last ended. */
  function accessRecordWindows(startTime: string, endTime: string): Array<[string, string]> {
    const start = parsePlatformTime(startTime).getTime();
    const end = parsePlatformTime(endTime).getTime();
    const windows: Array<[string, string]> = [];
    for (let from = start; from <= end; from += ACCESS_RECORD_WINDOW_MS + 1000) {
      const to = Math.min(from + ACCESS_RECORD_WINDOW_MS, end);
      windows.push([formatPlatformTime(from, "second"), formatPlatformTime(to, "second")]);
    }
    return windows;
  }

  /** Every page of one paged call, from `input.pageNo` (default 1). */
  function pages<K extends PagedOperationId>(id: K, input: PagedInput<K>): PageSource<PagedItem<K>> {
    const pageSize = input.pageSize ?? 1000;
    return pagesFrom(
      input.pageNo ?? 1,
      (pageNo) =>
        call(id, { ...input, pageNo, pageSize } as OperationInput<K>) as Promise<{
          hasMore: boolean;
          data: PagedItem<K>[];
        }>,
    );
  }

  function iterateAccessRecords(
    input: PagedInput<"listAccessRecords">,
  ): AsyncIterableIterator<PagedItem<"listAccessRecords">> {
    // Validate the whole range first so a bad date is reported as the caller wrote it.
    const probeInput = { ...input, pageNo: input.pageNo ?? 1, pageSize: input.pageSize ?? 1 };
    const probe = operations.listAccessRecords.request.safeParse(probeInput);
    if (!probe.success) {
      throw new ValidationError(
        "listAccessRecords",
        toFieldIssues(probe.error, operations.listAccessRecords.request, probeInput),
      );
    }
    return new PageIterator(
      concatSources(function* () {
        const windows = accessRecordWindows(input.startTime, input.endTime);
        for (const [index, [startTime, endTime]] of windows.entries()) {
          // A start page applies to the first window only; every later window starts at page 1.
          yield pages("listAccessRecords", { ...input, startTime, endTime, pageNo: index === 0 ? input.pageNo : 1 });
        }
      }),
    );
  }

  const methods: Record<string, (input: unknown) => Promise<unknown>> = {};
  for (const id of operationIds) {
    if (id === "getAccessToken") continue;
    methods[id] = (input) => call(id, (input ?? {}) as never);
  }
  // A range over 24 h is the caller's wish, not an error: gather every window's records.
  methods.listAccessRecords = async (input) => {
    const request = input as OperationInput<"listAccessRecords">;
    const span =
      typeof request?.startTime === "string" && typeof request?.endTime === "string"
        ? safeSpan(request.startTime, request.endTime)
        : 0;
    if (span <= ACCESS_RECORD_WINDOW_MS) return call("listAccessRecords", request);
    const data: unknown[] = [];
    for await (const record of iterateAccessRecords(request as PagedInput<"listAccessRecords">)) data.push(record);
    return { hasMore: false, data };
  };

  const iterate = Object.fromEntries(
    pagedOperationIds.map((id) => [
      id,
      id === "listAccessRecords"
        ? (input: PagedInput<"listAccessRecords">) => iterateAccessRecords(input)
        : (input: PagedInput<typeof id>) => new PageIterator(pages(id, input)),
    ]),
  ) as unknown as PlatformClient["iterate"];

  return Object.assign(methods as unknown as OperationMethods, {
    iterate,
    accessToken,
    invalidateToken() {
      token = undefined;
    },
    refreshToken: () => single(fetchToken),
    stats,
  });
}

function safeSpan(startTime: string, endTime: string): number {
  try {
    return parsePlatformTime(endTime).getTime() - parsePlatformTime(startTime).getTime();
  } catch {
    return 0; // malformed dates are reported by validation
  }
}
