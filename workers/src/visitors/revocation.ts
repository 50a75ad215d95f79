/**
 * Ending a grant on the platform without ever revoking access that is not the grant's: read
 * the plate's current authorisation, delete it only if it is still the grant's, and treat a
 * refused deletion of an authorisation that turns out to be gone as done.
 */
import { type PlatformClient, PlatformError } from "@parkbridge/shared";
import type { GrantRow } from "./grant.js";
import { type Authorisation, judgeOwnership, lotAuthorisations } from "./ownership.js";

/** Each lot's authorisations, fetched once and kept for the caller's lifetime (one sweep run, one request). */
export class LotAuthorisations {
  private readonly lots = new Map<string, Promise<Map<string, Authorisation>>>();
  constructor(private readonly client: PlatformClient) {}

  has(parkingId: string): boolean {
    return this.lots.has(parkingId);
  }

  get(parkingId: string): Promise<Map<string, Authorisation>> {
    let lot = this.lots.get(parkingId);
    if (!lot) {
      lot = lotAuthorisations(this.client, parkingId);
      // A failed fetch is not kept: the next grant of the lot asks again.
      lot.catch(() => this.lots.delete(parkingId));
      this.lots.set(parkingId, lot);
    }
    return lot;
  }

  refresh(parkingId: string): Promise<Map<string, Authorisation>> {
    this.lots.delete(parkingId);
    return this.get(parkingId);
  }

  async forget(parkingId: string, vehicleCode: string): Promise<void> {
    (await this.lots.get(parkingId))?.delete(vehicleCode);
  }
}

export type RevocationOutcome = { kind: "deleted" } | { kind: "gone" } | { kind: "superseded"; reason: string };

export async function revokeIfOwned(
  client: PlatformClient,
  lots: LotAuthorisations,
  grant: GrantRow,
): Promise<RevocationOutcome> {
  const current = (await lots.get(grant.parking_id)).get(grant.vehicle_code);
  const ownership = judgeOwnership(grant, current);
  if (ownership.kind === "gone") return { kind: "gone" };
  if (ownership.kind === "superseded") return { kind: "superseded", reason: ownership.reason };
  try {
    await client.deleteVehicle({ parkingId: grant.parking_id, vehicleCode: grant.vehicle_code });
  } catch (error) {
    if (!(error instanceof PlatformError) || error.operationId !== "deleteVehicle") throw error;
    // Refused: done if the authorisation is gone after all (an earlier attempt did it), else a real failure.
    const after = (await lots.refresh(grant.parking_id)).get(grant.vehicle_code);
    if (!after) return { kind: "gone" };
    throw error;
  }
  await lots.forget(grant.parking_id, grant.vehicle_code);
  return { kind: "deleted" };
}

/** What to keep of a failure: the platform's own message when it answered. */
export function describeFailure(error: unknown): string {
  if (error instanceof PlatformError) return `${error.operationId}: ${error.msg} (code ${error.code})`;
  if (error instanceof Error) return error.message;
  return String(error);
}
