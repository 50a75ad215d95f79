/**
 * A tiny webhook receiver for the delivery tests (runs in Node, started by the global setup on
 * an ephemeral loopback port). Each test uses its own hook name, so test files running at once
 * do not see each other's requests.
 *
 *   POST /hooks/{name}                  record the request; answer 2xx unless told otherwise
 *   PUT  /__sink/{name}/mode            {"failNext": n, "status": 503} or {"down": true|false}
 *                                       or {"hold": true} (answer nothing until {"hold": false})
 *   GET  /__sink/{name}/requests        [{ headers, body, at, answered }]
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

export interface SinkRequest {
  headers: Record<string, string>;
  body: string;
  at: number;
  /** The status answered; null while the request is held. */
  answered: number | null;
}

interface HookState {
  requests: SinkRequest[];
  failNext: number;
  down: boolean;
  status: number;
  hold: boolean;
  held: Array<() => void>;
}

const read = (req: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });

export async function startWebhookSink(): Promise<{ url: string; close: () => Promise<void> }> {
  const hooks = new Map<string, HookState>();
  const hook = (name: string) => {
    let state = hooks.get(name);
    if (!state) {
      state = { requests: [], failNext: 0, down: false, status: 503, hold: false, held: [] };
      hooks.set(name, state);
    }
    return state;
  };
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://sink");
    const body = await read(req);
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(value));
    };
    const hookMatch = /^\/hooks\/([^/]+)$/.exec(url.pathname);
    if (hookMatch && req.method === "POST") {
      const state = hook(hookMatch[1] as string);
      let answered = 200;
      if (state.down) answered = state.status;
      else if (state.failNext > 0) {
        state.failNext--;
        answered = state.status;
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) headers[name] = String(value);
      const record: SinkRequest = { headers, body, at: Date.now(), answered: null };
      state.requests.push(record);
      const answer = () => {
        record.answered = answered;
        json(answered, { ok: answered < 300 });
      };
      if (state.hold) state.held.push(answer);
      else answer();
      return;
    }
    const controlMatch = /^\/__sink\/([^/]+)\/(mode|requests)$/.exec(url.pathname);
    if (controlMatch) {
      const state = hook(controlMatch[1] as string);
      if (controlMatch[2] === "requests") return json(200, state.requests);
      const mode = JSON.parse(body || "{}") as { failNext?: number; down?: boolean; status?: number; hold?: boolean };
      if (mode.failNext !== undefined) state.failNext = mode.failNext;
      if (mode.down !== undefined) state.down = mode.down;
      if (mode.status !== undefined) state.status = mode.status;
      if (mode.hold !== undefined) state.hold = mode.hold;
      if (!state.hold) for (const release of state.held.splice(0)) release();
      return json(200, { failNext: state.failNext, down: state.down, status: state.status, hold: state.hold });
    }
    json(404, { error: "no such route" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
