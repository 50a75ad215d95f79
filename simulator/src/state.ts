/**
 * The simulated platform's state and the changes operations make to it. Handlers, traffic
 * and tests all go through these methods, so a vehicle entering updates the same counts that
 * getLotStats reads.
 */
import { formatPlatformTime, type OperationRequest } from "@parkbridge/shared";
import type {
  AccessRecord,
  Authorisation,
  BlacklistEntry,
  Coupon,
  GateOpening,
  Lane,
  Lot,
  LotStats,
  Outing,
  VehicleInPark,
  VehicleType,
  Visitor,
} from "./model.js";
import { createRandom, type Random } from "./random.js";
import { accessRecord, emptyLot, generateAuthorisation, type IdCounters, newCounters, seedLots } from "./seed.js";

export interface StateOptions {
  seed: number;
  vehicleCount: number;
}

/** A JSON-able overview, for GET /__sim/state. */
export interface StateSnapshot {
  seed: number;
  lots: Array<{
    parkingId: string;
    name: string;
    lanes: Lane[];
    stats: LotStats;
    authorisations: number;
    blacklist: BlacklistEntry[];
    visitors: Visitor[];
    inPark: VehicleInPark[];
    records: number;
    vehicleTypes: VehicleType[];
    coupons: Coupon[];
    outings: Outing[];
    gateOpenings: GateOpening[];
  }>;
}

export class SimulatorState {
  /** The random source of generated data and traffic (reset with the state). */
  random: Random;
  private lotsById = new Map<string, Lot>();
  private counters: IdCounters = newCounters();
  /** Authorisations of a lot as an array, rebuilt only after a change (cheap paging of large lots). */
  private authorisationPages = new Map<string, Authorisation[]>();
  private plates = new Map<string, Set<string>>();

  constructor(private readonly options: StateOptions) {
    this.random = createRandom(options.seed);
    this.reset();
  }

  /** Back to the seeded data (timestamps relative to now). */
  reset(now = Date.now()): void {
    this.random = createRandom(this.options.seed);
    this.counters = newCounters();
    this.authorisationPages.clear();
    this.plates.clear();
    this.lotsById = new Map(
      seedLots(this.random, this.counters, { vehicleCount: this.options.vehicleCount, now }).map((lot) => [
        lot.parkingId,
        lot,
      ]),
    );
  }

  // ---- lots -------------------------------------------------------------------------------

  lots(): Lot[] {
    return [...this.lotsById.values()];
  }

  lot(parkingId: string): Lot | undefined {
    return this.lotsById.get(parkingId);
  }

  /**
   * Adds an empty lot with one lane pair (a test that needs a lot of its own, e.g. a large one
   * next to other tests' lots); reset() forgets it.
   */
  addLot(parkingId: string, options: { name?: string; plateRegion?: string } = {}): Lot {
    if (this.lotsById.has(parkingId)) throw new Error(`there is a lot ${parkingId} already`);
    const lot = emptyLot({
      parkingId,
      name: options.name ?? parkingId,
      totalLot: 1000,
      mothTotalLot: 500,
      plateRegion: options.plateRegion ?? "浙Z",
      lanePairs: 1,
    });
    this.lotsById.set(parkingId, lot);
    return lot;
  }

  /** Throws when the lot does not exist (for direct setup from tests). */
  requireLot(parkingId: string): Lot {
    const lot = this.lotsById.get(parkingId);
    if (!lot) throw new Error(`no parking lot ${parkingId} (lots: ${[...this.lotsById.keys()].join(", ")})`);
    return lot;
  }

  lane(laneId: string): { lot: Lot; lane: Lane } | undefined {
    for (const lot of this.lotsById.values()) {
      const lane = lot.lanes.find((l) => l.laneId === laneId);
      if (lane) return { lot, lane };
    }
    return undefined;
  }

  stats(parkingId: string): LotStats {
    const lot = this.requireLot(parkingId);
    let visitorUsedLot = 0;
    let mothUsedLot = 0;
    for (const vehicle of lot.inPark.values()) {
      if (vehicle.visitor) visitorUsedLot++;
      else if (vehicle.vehicleType !== "9") mothUsedLot++;
    }
    const usedLot = lot.inPark.size;
    const tempUsed = usedLot - mothUsedLot;
    return {
      totalLot: lot.totalLot,
      usedLot,
      visitorUsedLot,
      mothTotalLot: lot.mothTotalLot,
      mothUsedLot,
      tempLot: Math.max(0, lot.totalLot - lot.mothTotalLot - tempUsed),
    };
  }

  // ---- authorisations -----------------------------------------------------------------------

  authorisation(parkingId: string, vehicleCode: string): Authorisation | undefined {
    return this.lotsById.get(parkingId)?.authorisations.get(vehicleCode);
  }

  /** Every authorisation of a lot (or of all lots), in insertion order. */
  authorisations(parkingId?: string): Authorisation[] {
    if (parkingId === undefined) return this.lots().flatMap((lot) => this.authorisations(lot.parkingId));
    let page = this.authorisationPages.get(parkingId);
    if (!page) {
      page = [...this.requireLot(parkingId).authorisations.values()];
      this.authorisationPages.set(parkingId, page);
    }
    return page;
  }

  /** Adds or replaces an authorisation (addVehicle / updateVehicle / direct setup). */
  putAuthorisation(authorisation: OperationRequest<"addVehicle">): Authorisation {
    const lot = this.requireLot(authorisation.parkingId);
    const stored: Authorisation = {
      ...authorisation,
      laneNos: authorisation.laneNos ?? "",
      lotNum: authorisation.lotNum ?? 1,
    };
    lot.authorisations.set(stored.vehicleCode, stored);
    this.plateSet(lot).add(stored.vehicleCode);
    this.authorisationPages.delete(lot.parkingId);
    return stored;
  }

  /** Adds or replaces many authorisations of one lot (as putAuthorisation each, one page rebuild). */
  putAuthorisations(parkingId: string, authorisations: ReadonlyArray<OperationRequest<"addVehicle">>): number {
    const lot = this.requireLot(parkingId);
    const plates = this.plateSet(lot);
    for (const authorisation of authorisations) {
      if (authorisation.parkingId !== parkingId) throw new Error(`${authorisation.vehicleCode} is not of ${parkingId}`);
      lot.authorisations.set(authorisation.vehicleCode, {
        ...authorisation,
        laneNos: authorisation.laneNos ?? "",
        lotNum: authorisation.lotNum ?? 1,
      });
      plates.add(authorisation.vehicleCode);
    }
    this.authorisationPages.delete(parkingId);
    return authorisations.length;
  }

  removeAuthorisation(parkingId: string, vehicleCode: string): boolean {
    const removed = this.lotsById.get(parkingId)?.authorisations.delete(vehicleCode) ?? false;
    if (removed) this.authorisationPages.delete(parkingId);
    return removed;
  }

  /** Bulk-adds `count` generated authorisations (performance tests); returns their plates. */
  addAuthorisations(parkingId: string, count: number, now = Date.now()): string[] {
    const lot = this.requireLot(parkingId);
    const taken = this.plateSet(lot);
    const added: string[] = [];
    for (let i = 0; i < count; i++) {
      const authorisation = generateAuthorisation(this.random, lot, taken, now);
      lot.authorisations.set(authorisation.vehicleCode, authorisation);
      added.push(authorisation.vehicleCode);
    }
    this.authorisationPages.delete(parkingId);
    return added;
  }

  // ---- other records ------------------------------------------------------------------------

  blacklist(parkingId?: string): BlacklistEntry[] {
    return this.pick(parkingId, (lot) => [...lot.blacklist.values()]);
  }

  visitors(parkingId?: string): Visitor[] {
    return this.pick(parkingId, (lot) => [...lot.visitors.values()]);
  }

  putVisitor(visitor: Visitor): void {
    const lot = this.requireLot(visitor.parkingId);
    lot.visitors.set(visitor.vehicleCode, visitor);
    this.plateSet(lot).add(visitor.vehicleCode);
  }

  inPark(parkingId?: string): VehicleInPark[] {
    return this.pick(parkingId, (lot) => [...lot.inPark.values()]);
  }

  records(parkingId?: string): AccessRecord[] {
    return this.pick(parkingId, (lot) => lot.records.map((r) => r.record));
  }

  vehicleTypes(parkingId?: string): VehicleType[] {
    return this.pick(parkingId, (lot) => lot.vehicleTypes);
  }

  coupons(parkingId?: string): Coupon[] {
    return this.pick(parkingId, (lot) => lot.coupons);
  }

  outings(parkingId?: string): Outing[] {
    return this.pick(parkingId, (lot) => lot.outings);
  }

  gateOpenings(parkingId?: string): GateOpening[] {
    return this.pick(parkingId, (lot) => lot.gateOpenings);
  }

  nextCouponId(): number {
    return ++this.counters.coupon;
  }

  // ---- vehicles moving ------------------------------------------------------------------------

  /**
   * A vehicle passes an entry lane: it is inside from now on and an access record is written.
   * Returns the record, or undefined when it is already inside.
   */
  enter(parkingId: string, vehicleCode: string, laneNo?: string, now = Date.now()): AccessRecord | undefined {
    const lot = this.requireLot(parkingId);
    if (lot.inPark.has(vehicleCode)) return undefined;
    const lane = this.pickLane(lot, "in", laneNo);
    const authorised = lot.authorisations.get(vehicleCode);
    const visitor = !authorised && lot.visitors.has(vehicleCode);
    const vehicleType = authorised?.vehicleType ?? "9";
    lot.inPark.set(vehicleCode, {
      vehicleCode,
      vehicleType,
      laneNo: lane.laneNo,
      intime: formatPlatformTime(now, "second"),
      enteredAt: now,
      visitor,
    });
    this.plateSet(lot).add(vehicleCode);
    return this.writeRecord(lot, { vehicleCode, vehicleType }, lane, now);
  }

  /** A vehicle passes an exit lane. Returns the record, or undefined when it was not inside. */
  leave(parkingId: string, vehicleCode: string, laneNo?: string, now = Date.now()): AccessRecord | undefined {
    const lot = this.requireLot(parkingId);
    const inside = lot.inPark.get(vehicleCode);
    if (!inside) return undefined;
    lot.inPark.delete(vehicleCode);
    return this.writeRecord(lot, inside, this.pickLane(lot, "out", laneNo), now);
  }

  /**
   * Records from `from` to `to` (ms, inclusive), in time order. The platform's times are whole
   * seconds: a record is in a range by its second, so ranges that meet at a second miss nothing.
   */
  recordsBetween(parkingId: string, from: number, to: number): AccessRecord[] {
    const records = this.requireLot(parkingId).records;
    // Records are appended in time order: binary-search the start.
    let lo = 0;
    let hi = records.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((records[mid] as { at: number }).at < from) lo = mid + 1;
      else hi = mid;
    }
    const out: AccessRecord[] = [];
    for (let i = lo; i < records.length; i++) {
      const entry = records[i] as { at: number; record: AccessRecord };
      if (Math.floor(entry.at / 1000) * 1000 > to) break;
      out.push(entry.record);
    }
    return out;
  }

  snapshot(): StateSnapshot {
    return {
      seed: this.options.seed,
      lots: this.lots().map((lot) => ({
        parkingId: lot.parkingId,
        name: lot.name,
        lanes: lot.lanes,
        stats: this.stats(lot.parkingId),
        authorisations: lot.authorisations.size,
        blacklist: [...lot.blacklist.values()],
        visitors: [...lot.visitors.values()],
        inPark: [...lot.inPark.values()],
        records: lot.records.length,
        vehicleTypes: lot.vehicleTypes,
        coupons: lot.coupons,
        outings: lot.outings,
        gateOpenings: lot.gateOpenings,
      })),
    };
  }

  // ---- internals ------------------------------------------------------------------------------

  private pick<T>(parkingId: string | undefined, of: (lot: Lot) => T[]): T[] {
    if (parkingId !== undefined) return of(this.requireLot(parkingId));
    return this.lots().flatMap(of);
  }

  private pickLane(lot: Lot, direction: "in" | "out", laneNo?: string): Lane {
    const candidates = lot.lanes.filter((l) => l.direction === direction);
    const lane = laneNo ? candidates.find((l) => l.laneNo === laneNo) : this.random.pick(candidates);
    if (!lane) throw new Error(`lot ${lot.parkingId} has no ${direction === "in" ? "entry" : "exit"} lane ${laneNo}`);
    return lane;
  }

  private writeRecord(
    lot: Lot,
    vehicle: { vehicleCode: string; vehicleType: string },
    lane: Lane,
    now: number,
  ): AccessRecord {
    // Keep the list sorted even if a caller passes an earlier time.
    const at = Math.max(now, lot.records.at(-1)?.at ?? now);
    const record = accessRecord(lot, this.counters, vehicle, lane, at);
    lot.records.push({ at, record });
    return record;
  }

  /** Plates known in a lot (authorised, visitors, seen), so generated plates do not collide. */
  private plateSet(lot: Lot): Set<string> {
    let set = this.plates.get(lot.parkingId);
    if (!set) {
      set = new Set([
        ...lot.authorisations.keys(),
        ...lot.visitors.keys(),
        ...lot.inPark.keys(),
        ...lot.blacklist.keys(),
      ]);
      this.plates.set(lot.parkingId, set);
    }
    return set;
  }
}
