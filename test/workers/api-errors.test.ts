/**
 * The one error path (workers/src/lib/errors.ts) through the real Worker: every route that takes
 * a JSON body, as /openapi.json lists them, refuses a wrong content type and a body that is not
 * JSON with a 4xx that says why; a storage failure answers 503 and an unexpected error 500,
 * neither carrying an internal message.
 */
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ApiError, errorAnswer } from "../../workers/src/lib/errors.js";
import { createRouter } from "../../workers/src/lib/openapi-app.js";
import { ADMIN, sendCallback } from "./ingest-support.js";

interface OpenApiDocument {
  paths: Record<string, Record<string, { requestBody?: { content: Record<string, unknown> }; responses: object }>>;
}
interface ErrorAnswer {
  error: { code: string; message: string; field?: string };
}

const doc = (await (await exports.default.fetch("http://worker/openapi.json")).json()) as OpenApiDocument;

/** Every operation with a JSON request body, its path parameters filled in. */
const withBody = Object.entries(doc.paths).flatMap(([path, methods]) =>
  Object.entries(methods)
    .filter(([, operation]) => operation.requestBody?.content["application/json"])
    .map(([method, operation]) => ({
      method: method.toUpperCase(),
      path,
      url: `http://worker${path.replace(/\{[^}]+\}/g, "vg_nope")}`,
      operation,
    })),
);
// The API's own routes; POST /callbacks is the platform's and answers in the platform's shape (below).
const apiRoutes = withBody.filter((route) => route.path.startsWith("/api/"));

/** Sends `body` with exactly these headers (bytes, so fetch adds no Content-Type of its own). */
const send = (route: (typeof withBody)[number], headers: Record<string, string>, body: string) =>
  exports.default.fetch(route.url, {
    method: route.method,
    headers: { ...ADMIN, ...headers },
    body: new TextEncoder().encode(body),
  });

describe("routes that take a JSON body", () => {
  it("are found in /openapi.json (subscriptions, visitor grants and their changes, callbacks)", () => {
    expect(apiRoutes.map((route) => `${route.method} ${route.path}`).sort()).toEqual(
      expect.arrayContaining(["POST /api/subscriptions", "POST /api/visitor-grants", "PATCH /api/visitor-grants/{id}"]),
    );
    expect(withBody.map((route) => route.path)).toContain("/callbacks");
  });

  describe.each(apiRoutes)("$method $path", (route) => {
    it.each([
      ["text/plain", '{"url":"https://example.com"}'],
      ["application/x-www-form-urlencoded", "url=https%3A%2F%2Fexample.com"],
      [
        "multipart/form-data; boundary=x",
        '--x\r\nContent-Disposition: form-data; name="url"\r\n\r\nhttps://e\r\n--x--',
      ],
      [undefined, '{"url":"https://example.com"}'],
    ])("refuses Content-Type %s with 415 and the reason", async (contentType, body) => {
      const response = await send(route, contentType ? { "content-type": contentType } : {}, body);
      expect(response.status).toBe(415);
      const answer = (await response.json()) as ErrorAnswer;
      expect(answer.error.code).toBe("unsupported_media_type");
      expect(answer.error.message).toMatch(/must be JSON sent with Content-Type: application\/json/);
      expect(answer.error.message).toContain(contentType ? `got ${contentType}` : "none was given");
    });

    it.each([
      ["a truncated object", '{"url": "https://exa'],
      ["a trailing comma", '{"url": "https://example.com",}'],
      ["an empty body", ""],
      ["plain words", "hello"],
    ])("refuses %s as JSON with 400 invalid_json naming the body", async (_what, body) => {
      const response = await send(route, { "content-type": "application/json; charset=utf-8" }, body);
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        error: { code: "invalid_json", message: "(body) is not valid JSON", field: "(body)" },
      });
    });

    it("refuses JSON that is not an object with 400 naming the body", async () => {
      const response = await send(route, { "content-type": "application/json" }, "[1, 2]");
      expect(response.status).toBe(400);
      expect(((await response.json()) as ErrorAnswer).error).toMatchObject({ code: "invalid_input", field: "(body)" });
    });

    it("documents both refusals", () => {
      expect(Object.keys(route.operation.responses)).toEqual(expect.arrayContaining(["400", "415"]));
    });
  });

  it("POST /callbacks answers a signed body that is not JSON with 400 and its reason, in the platform's shape", async () => {
    const response = await sendCallback('{"callbackType": "PARKING_VEHICLE_ACCESS", "data": {');
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 1, reason: "malformed_body", msg: expect.any(String) });
  });
});

describe("failures inside", () => {
  it("a storage failure answers 503 storage_unavailable without the database's message", async () => {
    await env.DB.exec("ALTER TABLE visitor_grants RENAME TO visitor_grants_away");
    try {
      const response = await exports.default.fetch("http://worker/api/visitor-grants", { headers: ADMIN });
      expect(response.status).toBe(503);
      const text = await response.text();
      expect(JSON.parse(text)).toEqual({
        error: { code: "storage_unavailable", message: "storage is unavailable; try again shortly" },
      });
      expect(text).not.toMatch(/visitor_grants|SQLITE|D1_/);
    } finally {
      await env.DB.exec("ALTER TABLE visitor_grants_away RENAME TO visitor_grants");
    }
  });

  it("an unexpected error answers 500 internal_error and keeps its message to the log", async () => {
    // A router made as every router of the Worker is, with the app's error handler.
    const router = createRouter();
    router.onError(errorAnswer);
    router.get("/boom", () => {
      throw new TypeError("cannot read properties of undefined (secret internal detail)");
    });
    router.get("/refused", () => {
      throw new ApiError(409, "busy", "try again", { grantId: "vg_1" }, { "retry-after": "1" });
    });
    const boom = await router.request("/boom", {}, env);
    expect(boom.status).toBe(500);
    expect(await boom.json()).toEqual({ error: { code: "internal_error", message: "internal error" } });
    const refused = await router.request("/refused", {}, env);
    expect(refused.status).toBe(409);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(await refused.json()).toEqual({ error: { code: "busy", message: "try again", grantId: "vg_1" } });
  });

  it("an unknown route answers 404 in the same shape", async () => {
    const response = await exports.default.fetch("http://worker/nowhere");
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: "not_found", message: "no route GET /nowhere" } });
  });
});
