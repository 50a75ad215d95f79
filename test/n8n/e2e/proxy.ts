/**
 * Stands between the world and n8n in the end-to-end chain (n8n's WEBHOOK_URL points here, so
 * the trigger subscribes with this address): forwards every request to n8n as it came, records
 * the Worker's deliveries (to replay them), and for a chosen plate can hold a delivery (answer the
 * Worker 503 without forwarding it) or lose n8n's answer (forward it, answer the Worker 500).
 */
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedDelivery {
  headers: Record<string, string>;
  body: string;
  /** What the proxy answered the Worker. */
  status: number;
  /** When it arrived, and when n8n had answered it (Unix ms). */
  at: number;
  answeredAt: number;
}

export type Plan = "hold" | "loseAnswer";

const plainHeaders = (headers: IncomingHttpHeaders) =>
  Object.fromEntries(
    Object.entries(headers)
      .filter(([name, value]) => typeof value === "string" && !["host", "content-length", "connection"].includes(name))
      .map(([name, value]) => [name, value as string]),
  );

export async function startProxy(target: () => string) {
  const deliveries: RecordedDelivery[] = [];
  const plans = new Map<string, Plan>();
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const headers = plainHeaders(req.headers);
    const isDelivery = typeof headers["webhook-id"] === "string";
    const text = body.toString("utf8");
    const plate = isDelivery
      ? ((JSON.parse(text || "{}") as { data?: { vehicleCode?: string } }).data?.vehicleCode ?? "")
      : "";
    const plan = plans.get(plate);
    if (plan) plans.delete(plate);
    const arrivedAt = Date.now();
    const record = (status: number) => {
      if (isDelivery) deliveries.push({ headers, body: text, status, at: arrivedAt, answeredAt: Date.now() });
    };
    if (plan === "hold") {
      record(503);
      res.writeHead(503, { "content-type": "application/json" }).end('{"error":"held by the e2e"}');
      return;
    }
    try {
      const answer = await fetch(`${target()}${req.url ?? "/"}`, {
        method: req.method ?? "GET",
        headers,
        ...(req.method === "GET" || req.method === "HEAD" ? {} : { body }),
        redirect: "manual",
      });
      const answerBody = Buffer.from(await answer.arrayBuffer());
      if (plan === "loseAnswer") {
        record(500);
        res.writeHead(500, { "content-type": "application/json" }).end('{"error":"the answer was lost (e2e)"}');
        return;
      }
      record(answer.status);
      const out: Record<string, string> = {};
      answer.headers.forEach((value, name) => {
        if (!["content-encoding", "content-length", "transfer-encoding", "connection"].includes(name))
          out[name] = value;
      });
      res.writeHead(answer.status, out).end(answerBody);
    } catch (error) {
      record(502);
      res.writeHead(502, { "content-type": "application/json" }).end(JSON.stringify({ error: String(error) }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    deliveries,
    plans,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
