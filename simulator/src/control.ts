/**
 * `/__sim/` control endpoints: what the in-process API offers, over HTTP, for tests that run
 * inside workerd. Bad input is answered 400 with an English `error` naming the field.
 */
import type { ServerResponse } from "node:http";
import { operations, toFieldIssues } from "@parkbridge/shared";
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
    case "POST /__sim/traffic/step": {
      const count = body.count ?? 1;
      if (!Number.isInteger(count) || (count as number) < 1 || (count as number) > 10_000) {
        return bad("count must be a whole number from 1 to 10000");
      }
      return ok(await sim.traffic.step(count as number));
    }
    case "POST /__sim/traffic/start": {
      const rate = body.rate;
      if (rate !== undefined && !(typeof rate === "number" && rate > 0)) return bad("rate must be a number > 0");
      sim.traffic.start(rate as number | undefined);
      return ok({ running: true });
    }
    case "POST /__sim/traffic/stop":
      sim.traffic.stop();
      return ok({ running: false });
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
      return sendJson(response, 404, { error: `no control endpoint ${route}` });
  }
}
