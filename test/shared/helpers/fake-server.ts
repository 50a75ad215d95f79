/**
 * A purpose-built fake platform for unit-level client tests: a real node:http server on
 * 127.0.0.1, port 0, whose answers a test scripts per scenario. It records every request as
 * it arrived on the wire (path, query, headers, raw body). Not the simulator: that one is
 * tested on its own in test/simulator.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach } from "vitest";

export interface ReceivedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage["headers"];
  /** The body exactly as received. */
  rawBody: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  body: Record<string, unknown> | undefined;
}

/** What a scenario answers: a JSON value (status 200), a full answer, raw bytes with headers, or "hang" / "destroy". */
export type Answer =
  | { status?: number; json?: unknown; text?: string; delayMs?: number }
  /** Exactly these bytes and headers (e.g. a gzip or GBK body). */
  | { status?: number; bytes: Uint8Array; headers: Record<string, string> }
  | { destroy: true }
  | { hang: true }
  /** Sends the headers and the start of a body, then stalls. */
  | { partial: string };

export type Handler = (request: ReceivedRequest, index: number) => Answer | Promise<Answer>;

export interface FakeServer {
  url: string;
  port: number;
  requests: ReceivedRequest[];
  /** Requests to one path. */
  to(path: string): ReceivedRequest[];
  close(): Promise<void>;
  /** Listen again on the same port (after `close`). */
  reopen(): Promise<void>;
}

export async function startFakeServer(handler: Handler): Promise<FakeServer> {
  const requests: ReceivedRequest[] = [];
  const hanging = new Set<ServerResponse>();
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", async () => {
      const rawBody = Buffer.concat(chunks).toString("utf8");
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      let body: Record<string, unknown> | undefined;
      try {
        body = JSON.parse(rawBody);
      } catch {
        body = undefined;
      }
      const received: ReceivedRequest = {
        method: req.method ?? "",
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        rawBody,
        body,
      };
      requests.push(received);
      const answer = await handler(received, requests.length - 1);
      if ("destroy" in answer) {
        req.socket.destroy();
        return;
      }
      if ("hang" in answer) {
        hanging.add(res);
        return;
      }
      if ("partial" in answer) {
        hanging.add(res);
        res.writeHead(200, { "content-type": "application/json; charset=utf-8", connection: "close" });
        res.write(answer.partial);
        return;
      }
      if ("bytes" in answer) {
        res.writeHead(answer.status ?? 200, { ...answer.headers, connection: "close" });
        res.end(answer.bytes);
        return;
      }
      if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
      if (res.destroyed) return;
      // No keep-alive: every request opens its own connection, so a closed server means "refused".
      res.writeHead(answer.status ?? 200, {
        "content-type": answer.text === undefined ? "application/json; charset=utf-8" : "text/plain",
        connection: "close",
      });
      res.end(answer.text ?? JSON.stringify(answer.json ?? {}));
    });
  };
  let server: Server = createServer(onRequest);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;

  const close = () =>
    new Promise<void>((resolve) => {
      for (const res of hanging) res.destroy();
      hanging.clear();
      server.closeAllConnections();
      server.close(() => resolve());
    });

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    to: (path) => requests.filter((r) => r.path === path),
    close,
    async reopen() {
      server = createServer(onRequest);
      await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    },
  };
}

/** The platform's success envelope. */
export const ok = (result?: unknown, key: "result" | "data" = "result") => ({
  json: { code: 0, msg: "操作成功", ...(result === undefined ? {} : { [key]: result }) },
});

/** The platform's failure envelope (code 1 and its Chinese msg). */
export const refused = (msg: string, code = 1) => ({ json: { code, msg } });

/** A token answer as the documented assumption describes it. */
export const tokenAnswer = (accessToken: string, expiresIn = 7200) => ok({ accessToken, expiresIn });

/**
 * A fake platform per test, closed after it: call once at the top of a test file, then
 * `await platform(handler)` in each test.
 */
export function fakePlatforms(): (handler: Handler) => Promise<FakeServer> {
  const servers: FakeServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  return async (handler) => {
    const server = await startFakeServer(handler);
    servers.push(server);
    return server;
  };
}
