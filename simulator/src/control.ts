/**
 * `/__sim/` control endpoints: what the in-process API offers, over HTTP, for tests that run
 * inside workerd. Bad input is answered 400 with an English `error` naming the field.
 */
import type { ServerResponse } from "node:http";
import { eboparkReports, operations, parsePlatformTime, toFieldIssues } from "@parkbridge/shared";
import { type FaultRule, faultRuleProblem } from "./faults.js";
import type { CatalogueSchema } from "./schemas.js";
import { sendJson } from "./server.js";
import type { Simulator } from "./simulator.js";

function parse(body: string): Record<string, unknown> | undefined {
  if (!body.trim()) return {};
  try {
    const json = JSON.parse(body);
    return json && typeof json === "object" && !Array.isArray(json) ? json : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a logged call concerns a plate (platform `vehicleCode`, Ebopark `carNo`/`CarNos`). */
function concernsPlate(body: unknown, plate: string): boolean {
  if (!body || typeof body !== "object") return false;
  const b = body as Record<string, unknown>;
  return b.vehicleCode === plate || b.carNo === plate || (Array.isArray(b.CarNos) && b.CarNos.includes(plate));
}

/** step / start / stop of either platform's traffic. */
async function trafficControl(
  action: string,
  traffic: { step(count: number): Promise<unknown>; start(rate?: number): void; stop(): void },
  body: Record<string, unknown>,
  ok: (json: unknown) => void,
  bad: (error: string) => void,
): Promise<void> {
  if (action === "step") {
    const count = body.count ?? 1;
    if (!Number.isInteger(count) || (count as number) < 1 || (count as number) > 10_000) {
      return bad("count must be a whole number from 1 to 10000");
    }
    return ok(await traffic.step(count as number));
  }
  if (action === "start") {
    const rate = body.rate;
    if (rate !== undefined && !(typeof rate === "number" && rate > 0)) return bad("rate must be a number > 0");
    traffic.start(rate as number | undefined);
    return ok({ running: true });
  }
  traffic.stop();
  return ok({ running: false });
}

export async function handleControl(
  sim: Simulator,
  method: string,
  url: URL,
  bodyText: string,
  response: ServerResponse,
): Promise<void> {
  const body = parse(bodyText);
  if (body === undefined) return sendJson(response, 400, { error: "the body must be a JSON object" });
  const q = url.searchParams;
  const bad = (error: string) => sendJson(response, 400, { error });
  const ok = (json: unknown) => sendJson(response, 200, json);
  const lotProblem = (parkingId: unknown) =>
    typeof parkingId !== "string" || !sim.state.lot(parkingId)
      ? `parkingId must name a lot (${sim.state
          .lots()
          .map((l) => l.parkingId)
          .join(", ")})`
      : undefined;
  const route = `${method} ${url.pathname.replace(/\/+$/, "")}`;

  switch (route) {
    case "GET /__sim/state":
      return ok({
        ...sim.state.snapshot(),
        traffic: { running: sim.traffic.running },
        faults: sim.faults.list(),
        calls: sim.calls.length,
        callbacksSent: sim.delivery.sent.length,
        eboparkReportsSent: sim.reports.sent.length,
      });
    case "GET /__sim/authorisations": {
      const parkingId = q.get("parkingId") ?? undefined;
      if (parkingId !== undefined && lotProblem(parkingId)) return bad(lotProblem(parkingId) as string);
      const plate = q.get("vehicleCode");
      const all = sim.state.authorisations(parkingId);
      return ok(plate ? all.filter((a) => a.vehicleCode === plate) : all);
    }
    case "POST /__sim/authorisations": {
      const parsed = operations.addVehicle.request.safeParse(body);
      if (!parsed.success) {
        const issues = toFieldIssues(parsed.error, operations.addVehicle.request as unknown as CatalogueSchema, body);
        return sendJson(response, 400, { error: issues.map((i) => `${i.field} ${i.reason}`).join("; "), issues });
      }
      const problem = lotProblem(parsed.data.parkingId);
      if (problem) return bad(problem);
      return ok({ ok: true, authorisation: sim.state.putAuthorisation(parsed.data) });
    }
    case "DELETE /__sim/authorisations": {
      const parkingId = q.get("parkingId");
      const plate = q.get("vehicleCode");
      if (lotProblem(parkingId)) return bad(lotProblem(parkingId) as string);
      if (!plate) return bad("vehicleCode is required");
      return ok({ removed: sim.state.removeAuthorisation(parkingId as string, plate) });
    }
    case "POST /__sim/authorisations/bulk": {
      if (lotProblem(body.parkingId)) return bad(lotProblem(body.parkingId) as string);
      if (body.items !== undefined) {
        // Given authorisations, each as addVehicle takes it.
        if (!Array.isArray(body.items)) return bad("items must be an array of authorisations");
        const items = [];
        for (const [index, item] of body.items.entries()) {
          const parsed = operations.addVehicle.request.safeParse({ parkingId: body.parkingId, ...item });
          if (!parsed.success) {
            const issue = toFieldIssues(
              parsed.error,
              operations.addVehicle.request as unknown as CatalogueSchema,
              item,
            )[0];
            return bad(`items[${index}].${issue?.field} ${issue?.reason}`);
          }
          items.push(parsed.data);
        }
        return ok({ added: sim.state.putAuthorisations(body.parkingId as string, items) });
      }
      if (!Number.isInteger(body.count) || (body.count as number) < 1) return bad("count must be a whole number ≥ 1");
      const added = sim.state.addAuthorisations(body.parkingId as string, body.count as number);
      return ok({ added: added.length, first: added[0], last: added.at(-1) });
    }
    case "POST /__sim/lots": {
      if (typeof body.parkingId !== "string" || !/^[\w-]{1,32}$/.test(body.parkingId)) {
        return bad("parkingId must be 1 to 32 letters, digits, '_' or '-'");
      }
      if (sim.state.lot(body.parkingId)) return bad(`parkingId ${body.parkingId} names a lot already`);
      const lot = sim.state.addLot(body.parkingId, {
        ...(typeof body.name === "string" ? { name: body.name } : {}),
        ...(typeof body.plateRegion === "string" ? { plateRegion: body.plateRegion } : {}),
      });
      return ok({ parkingId: lot.parkingId, lanes: lot.lanes });
    }
    case "GET /__sim/faults":
      return ok(sim.faults.list());
    case "POST /__sim/faults": {
      const problem = faultRuleProblem(body);
      if (problem) return bad(problem);
      return ok({ id: sim.faults.add(body as unknown as FaultRule) });
    }
    case "DELETE /__sim/faults":
      sim.faults.clear();
      return ok({ ok: true });
    case "POST /__sim/tokens/expire":
      sim.tokens.expireAll();
      return ok({ ok: true });
    case "GET /__sim/calls": {
      const operation = q.get("operation");
      const plate = q.get("vehicleCode");
      const parkingId = q.get("parkingId");
      return ok(
        sim.calls.filter(
          (c) =>
            (!operation || c.operationId === operation) &&
            (!plate || concernsPlate(c.body, plate)) &&
            (!parkingId || (c.body as { parkingId?: unknown } | null)?.parkingId === parkingId),
        ),
      );
    }
    case "GET /__sim/callbacks":
      return ok(sim.delivery.sent);
    case "GET /__sim/callbacks/dropped":
      return ok(sim.delivery.dropped);
    case "GET /__sim/records": {
      // The platform's access records, as listAccessRecords serves them (every one, no window).
      const parkingId = q.get("parkingId");
      if (parkingId !== null && !sim.state.lot(parkingId)) return bad(`parkingId ${parkingId} names no lot`);
      return ok(sim.state.records(parkingId ?? undefined));
    }
    case "POST /__sim/traffic/step":
    case "POST /__sim/traffic/start":
    case "POST /__sim/traffic/stop":
      return trafficControl(route.split("/").at(-1) as string, sim.traffic, body, ok, bad);
    case "POST /__sim/vehicles/enter":
    case "POST /__sim/vehicles/leave": {
      if (lotProblem(body.parkingId)) return bad(lotProblem(body.parkingId) as string);
      const plate = operations.deleteVehicle.request.shape.vehicleCode.safeParse(body.vehicleCode);
      if (!plate.success) return bad(`vehicleCode ${plate.error.issues[0]?.message ?? "is invalid"}`);
      const laneNo = typeof body.laneNo === "string" ? body.laneNo : undefined;
      const parkingId = body.parkingId as string;
      try {
        const sent = route.endsWith("enter")
          ? await sim.traffic.vehicleEnters(parkingId, plate.data, laneNo)
          : await sim.traffic.vehicleLeaves(parkingId, plate.data, laneNo);
        if (!sent)
          return sendJson(response, 409, {
            error: `${plate.data} is ${route.endsWith("enter") ? "already" : "not"} inside`,
          });
        return ok({ sent, stats: sim.state.stats(parkingId) });
      } catch (error) {
        return bad((error as Error).message);
      }
    }
    case "POST /__sim/reset":
      sim.reset();
      return ok({ ok: true });
    default:
      if (route.includes(" /__sim/ebopark/")) return handleEboparkControl(sim, route, q, body, response);
      return sendJson(response, 404, { error: `no control endpoint ${route}` });
  }
}

/** `/__sim/ebopark/`: Ebopark's lots, their traffic and their reports. */
async function handleEboparkControl(
  sim: Simulator,
  route: string,
  q: URLSearchParams,
  body: Record<string, unknown>,
  response: ServerResponse,
): Promise<void> {
  const bad = (error: string) => sendJson(response, 400, { error });
  const ok = (json: unknown) => sendJson(response, 200, json);
  const lots = sim.eboparkState;
  const lotProblem = (parkCode: unknown) =>
    typeof parkCode !== "string" || !lots.lot(parkCode)
      ? `parkCode must name an Ebopark lot (${lots
          .lots()
          .map((l) => l.parkCode)
          .join(", ")})`
      : undefined;
  const plateProblem = (plate: unknown) => {
    const parsed = eboparkReports.vehicleEntry.fields.plateNumber.safeParse(plate);
    return parsed.success ? undefined : `plateNumber ${parsed.error.issues[0]?.message ?? "is invalid"}`;
  };
  const channelId = body.channelId;
  if (channelId !== undefined && !Number.isInteger(channelId)) return bad("channelId must be a whole number");
  const traffic = sim.eboparkTraffic;
  // Unknown channels and devices are the state's errors, answered 400.
  const guarded = async (run: () => Promise<unknown>) => {
    try {
      return ok(await run());
    } catch (error) {
      return bad((error as Error).message);
    }
  };

  switch (route) {
    case "GET /__sim/ebopark/state":
      return ok({ ...lots.snapshot(), traffic: { running: traffic.running }, reportsSent: sim.reports.sent.length });
    case "GET /__sim/ebopark/reports": {
      const report = q.get("report");
      return ok(sim.reports.sent.filter((r) => !report || r.report === report));
    }
    case "GET /__sim/ebopark/sessions": {
      const parkCode = q.get("parkCode");
      if (lotProblem(parkCode)) return bad(lotProblem(parkCode) as string);
      const range = (name: "startTime" | "endTime", fallback: number) => {
        const value = q.get(name);
        if (value === null) return fallback;
        try {
          return parsePlatformTime(value).getTime() + (name === "endTime" ? 999 : 0);
        } catch {
          return Number.NaN;
        }
      };
      const from = range("startTime", 0);
      const to = range("endTime", Number.MAX_SAFE_INTEGER);
      if (Number.isNaN(from) || Number.isNaN(to)) return bad("startTime and endTime must be yyyy-MM-dd HH:mm:ss");
      return ok(lots.sessionsBetween(parkCode as string, from, to));
    }
    case "POST /__sim/ebopark/traffic/step":
    case "POST /__sim/ebopark/traffic/start":
    case "POST /__sim/ebopark/traffic/stop":
      return trafficControl(route.split("/").at(-1) as string, traffic, body, ok, bad);
    case "POST /__sim/ebopark/vehicles/enter":
    case "POST /__sim/ebopark/vehicles/leave": {
      if (lotProblem(body.parkCode)) return bad(lotProblem(body.parkCode) as string);
      if (plateProblem(body.plateNumber)) return bad(plateProblem(body.plateNumber) as string);
      const payment = body.payment;
      if (payment !== undefined && !["order", "seamless", "abnormal"].includes(payment as string)) {
        return bad("payment must be order, seamless or abnormal");
      }
      const entering = route.endsWith("enter");
      const parkCode = body.parkCode as string;
      const plate = body.plateNumber as string;
      try {
        const sent = entering
          ? await traffic.vehicleEnters(parkCode, plate, channelId as number | undefined)
          : await traffic.vehicleLeaves(parkCode, plate, {
              channelId: channelId as number | undefined,
              payment: payment as "order" | "seamless" | "abnormal" | undefined,
            });
        if (!sent) return sendJson(response, 409, { error: `${plate} is ${entering ? "already" : "not"} inside` });
        return ok({ sent, freeSpace: lots.freeSpace(parkCode) });
      } catch (error) {
        return bad((error as Error).message);
      }
    }
    case "POST /__sim/ebopark/abnormal-lift": {
      if (lotProblem(body.parkCode)) return bad(lotProblem(body.parkCode) as string);
      if (body.plateNumber !== undefined && plateProblem(body.plateNumber))
        return bad(plateProblem(body.plateNumber) as string);
      for (const name of ["reason", "operatorName"] as const) {
        if (body[name] !== undefined && typeof body[name] !== "string") return bad(`${name} must be a string`);
      }
      const sent = await traffic
        .abnormalLift(body.parkCode as string, {
          plate: body.plateNumber as string | undefined,
          channelId: channelId as number | undefined,
          reason: body.reason as string | undefined,
          operatorName: body.operatorName as string | undefined,
        })
        .catch((error: Error) => error);
      if (sent instanceof Error) return bad(sent.message);
      if (!sent) return sendJson(response, 409, { error: `${String(body.plateNumber)} is not inside` });
      return ok({ sent });
    }
    case "POST /__sim/ebopark/devices": {
      if (lotProblem(body.parkCode)) return bad(lotProblem(body.parkCode) as string);
      if (typeof body.deviceId !== "string" || !body.deviceId) return bad("deviceId must be a device or channel id");
      if (typeof body.online !== "boolean") return bad("online must be true or false");
      return guarded(async () => ({
        sent: await traffic.deviceStatus(body.parkCode as string, body.deviceId as string, body.online as boolean),
      }));
    }
    case "POST /__sim/ebopark/lot-info":
      if (lotProblem(body.parkCode)) return bad(lotProblem(body.parkCode) as string);
      return guarded(async () => ({ sent: await traffic.lotInfo(body.parkCode as string) }));
    default:
      return sendJson(response, 404, { error: `no control endpoint ${route}` });
  }
}
