/**
 * Ending a grant on the platform without ever revoking access that is not the grant's: read
 * the plate's current authorisation, delete it only if it is still the grant's, and treat a
 * refused deletion of an authorisation that turns out to be gone as done.
 */
import { type PlatformClient, PlatformError } from "@parkbridge/shared";
import type { GrantRow } from "./grant.js";
import { type LotListing, scanLot } from "./lot-scan.js";
import { type Authorisation, judgeOwnership } from "./ownership.js";

/** Each lot's authorisations, read once and kept for the caller's lifetime (one sweep run, one request). */
export class LotAuthorisations {
  private readonly lots = new Map<string, Promise<LotListing>>();
  constructor(private readonly client: PlatformClient) {}

  has(parkingId: string): boolean {
    return this.lots.has(parkingId);
  }

  /** The lot's authorisations by plate, with whether an absence among them is proven. */
  listing(parkingId: string): Promise<LotListing> {
    let lot = this.lots.get(parkingId);
    if (!lot) {
      lot = scanLot(this.client, parkingId);
      // A failed read is not kept: the next grant of the lot asks again.
      lot.catch(() => this.lots.delete(parkingId));
      this.lots.set(parkingId, lot);
    }
    return lot;
  }

  async get(parkingId: string): Promise<Map<string, Authorisation>> {
    return (await this.listing(parkingId)).byPlate;
  }

  refresh(parkingId: string): Promise<LotListing> {
    this.lots.delete(parkingId);
    return this.listing(parkingId);
  }

  async forget(parkingId: string, vehicleCode: string): Promise<void> {
    (await this.lots.get(parkingId))?.byPlate.delete(vehicleCode);
  }
}

/** A plate was not in a listing that cannot prove it gone (the list changed while it was read). */
export class UnprovenAbsence extends Error {
  override name = "UnprovenAbsence";
  constructor(vehicleCode: string, reason: string | undefined) {
    super(
      `${vehicleCode} was not in the lot's listing, but the listing cannot prove it gone (${reason}); looked again later`,
    );
  }
}

/** The plate's current authorisation; undefined only when the listing proves it gone. */
export async function currentAuthorisation(
  lots: LotAuthorisations,
  parkingId: string,
  vehicleCode: string,
): Promise<Authorisation | undefined> {
  const listing = await lots.listing(parkingId);
  const current = listing.byPlate.get(vehicleCode);
  if (!current && !listing.complete) throw new UnprovenAbsence(vehicleCode, listing.reason);
  return current;
}

export type RevocationOutcome = { kind: "deleted" } | { kind: "gone" } | { kind: "superseded"; reason: string };

export async function revokeIfOwned(
  client: PlatformClient,
  lots: LotAuthorisations,
  grant: GrantRow,
): Promise<RevocationOutcome> {
  const current = await currentAuthorisation(lots, grant.parking_id, grant.vehicle_code);
  const ownership = judgeOwnership(grant, current);
  if (ownership.kind === "gone") return { kind: "gone" };
  if (ownership.kind === "superseded") return { kind: "superseded", reason: ownership.reason };
  try {
    await client.deleteVehicle({ parkingId: grant.parking_id, vehicleCode: grant.vehicle_code });
  } catch (error) {
    if (!(error instanceof PlatformError) || error.operationId !== "deleteVehicle") throw error;
    // Refused: done if the authorisation is gone after all (an earlier attempt did it), else a real failure.
    const after = await lots.refresh(grant.parking_id);
    if (after.complete && !after.byPlate.has(grant.vehicle_code)) return { kind: "gone" };
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
