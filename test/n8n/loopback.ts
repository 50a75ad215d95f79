/** A tiny loopback HTTP server for tests: each request is handed to `handle`, every one recorded. */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

export interface LoopbackRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
}

export interface LoopbackAnswer {
  status: number;
  body?: unknown;
}

export async function startLoopback(handle: (request: LoopbackRequest) => Promise<LoopbackAnswer> | LoopbackAnswer) {
  const requests: LoopbackRequest[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const request = {
      method: req.method ?? "GET",
      path: req.url ?? "/",
      headers: req.headers,
      body: Buffer.concat(chunks).toString("utf8"),
    };
    requests.push(request);
    try {
      const answer = await handle(request);
      res.writeHead(answer.status, { "content-type": "application/json; charset=utf-8" });
      res.end(answer.body === undefined ? "" : JSON.stringify(answer.body));
    } catch (error) {
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "test_server", message: (error as Error).message } }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
