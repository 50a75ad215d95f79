/** Shared set-up for the simulator tests: a simulator on an ephemeral port, clients, a loopback callback receiver. */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { createEboparkClient, createPlatformClient, type PlatformClientOptions } from "@parkbridge/shared";
import { type RunningSimulator, type SimulatorOptions, startSimulator } from "@parkbridge/simulator";

export const APP_KEY = "demo-app-key";
export const APP_SECRET = "demo-app-secret";

export function start(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  return startSimulator({ port: 0, ...options });
}

export function clientFor(sim: RunningSimulator, options: Partial<PlatformClientOptions> = {}) {
  return createPlatformClient({
    baseUrl: sim.url,
    appKey: APP_KEY,
    appSecret: APP_SECRET,
    retryDelayMs: 10,
    ...options,
  });
}

export function eboparkClientFor(sim: RunningSimulator, secretKey = "demo-ebopark-secret") {
  return createEboparkClient({
    partnerHost: sim.url,
    cpgsHost: sim.url,
    partnerId: "demo-partner",
    secretKey,
    appKey: "demo-cpgs-key",
  });
}

/** POSTs raw JSON to the simulator and returns the parsed answer (for what the client would refuse to send). */
export async function postRaw(
  sim: RunningSimulator,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${sim.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

export interface ReceivedCallback {
  headers: IncomingMessage["headers"];
  body: string;
  /** Path and query string, as requested. */
  url: string;
}

/**
 * A tiny loopback HTTP receiver; `answer` picks the status of each delivery (default 200), or
 * the status and the body.
 */
export async function startReceiver(
  answer: (n: number, request: ReceivedCallback) => number | { status: number; body: string } = () => 200,
) {
  const received: ReceivedCallback[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (c: Buffer) => chunks.push(c));
    request.on("end", () => {
      const delivery = {
        headers: request.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        url: request.url ?? "",
      };
      received.push(delivery);
      const reply = answer(received.length, delivery);
      if (typeof reply === "number") response.writeHead(reply).end();
      else response.writeHead(reply.status, { "content-type": "application/json" }).end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/callbacks`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
