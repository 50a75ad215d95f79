/**
 * Drives the lots: vehicles enter and leave, lane cameras go offline and come back, visitors
 * register. Each event changes the state first, then goes out as a signed callback shaped
 * like the seed's examples.
 */
import { formatPlatformTime } from "@parkbridge/shared";
import type { CallbackBody, CallbackDelivery, SentCallback } from "./delivery.js";
import type { AccessRecord, Lane, Lot, Visitor } from "./model.js";
import { PacedTraffic } from "./pacer.js";
import { uniquePlate } from "./random.js";
import { generateVisitor } from "./seed.js";
import type { SimulatorState } from "./state.js";

const VISITING_REGIONS = ["鲁A", "鲁B", "鲁C", "京A", "冀A", "苏E"];

export class Traffic extends PacedTraffic<SentCallback> {
  /** Every event generated, delivered or not (no callback URL means none are delivered). */
  readonly events: CallbackBody[] = [];

  constructor(
    private readonly state: SimulatorState,
    private readonly delivery: CallbackDelivery,
    ratePerSecond: number,
  ) {
    super(ratePerSecond);
  }

  /** Generates `count` events now and delivers them in order; resolves after every attempt. */
  async step(count = 1): Promise<SentCallback[]> {
    const sent: SentCallback[] = [];
    for (let i = 0; i < count; i++) sent.push(...(await this.emit(this.nextEvent())));
    return sent;
  }

  /** A vehicle enters now (a temporary one when not authorised); undefined when already inside. */
  async vehicleEnters(parkingId: string, vehicleCode: string, laneNo?: string) {
    const lot = this.state.requireLot(parkingId);
    const record = this.state.enter(parkingId, vehicleCode, laneNo ?? this.onlineLane(lot, "in")?.laneNo);
    return record ? this.emit(this.accessEvent(lot, record)) : undefined;
  }

  /** A vehicle inside leaves now; undefined when it was not inside. */
  async vehicleLeaves(parkingId: string, vehicleCode: string, laneNo?: string) {
    const lot = this.state.requireLot(parkingId);
    const record = this.state.leave(parkingId, vehicleCode, laneNo ?? this.onlineLane(lot, "out")?.laneNo);
    return record ? this.emit(this.accessEvent(lot, record)) : undefined;
  }

  /** A lane camera goes offline or comes back. */
  async cameraStatus(parkingId: string, laneNo: string, online: boolean) {
    const lot = this.state.requireLot(parkingId);
    const lane = lot.lanes.find((l) => l.laneNo === laneNo);
    if (!lane) throw new Error(`lot ${parkingId} has no lane ${laneNo}`);
    return this.emit(this.cameraEvent(lot, lane, online));
  }

  /** A visitor books a visit (generated when not given). */
  async visitorRegisters(parkingId: string, visitor?: Partial<Visitor>) {
    return this.emit(this.visitorEvent(this.state.requireLot(parkingId), visitor));
  }

  // ---- event generation -----------------------------------------------------------------------

  private nextEvent(): CallbackBody {
    const random = this.state.random;
    const lot = random.pick(this.state.lots());
    const offline = lot.lanes.filter((l) => !l.cameraOnline);
    const roll = random.next();
    if (offline.length > 0 && roll < 0.3) return this.cameraEvent(lot, random.pick(offline), true);
    if (roll < 0.07) return this.cameraEvent(lot, random.pick(lot.lanes.filter((l) => l.cameraOnline)), false);
    if (roll < 0.15) return this.visitorEvent(lot);
    const leaving = lot.inPark.size > 0 && (roll < 0.55 || this.state.stats(lot.parkingId).tempLot === 0);
    const event = leaving ? this.leaveEvent(lot) : this.enterEvent(lot);
    // With every lane of that direction offline nothing passes: a camera comes back instead.
    return event ?? this.cameraEvent(lot, random.pick(offline.length > 0 ? offline : lot.lanes), true);
  }

  private enterEvent(lot: Lot): CallbackBody | undefined {
    const lane = this.onlineLane(lot, "in");
    if (!lane) return undefined;
    const vehicleCode = this.arrivingPlate(lot);
    const record = this.state.enter(lot.parkingId, vehicleCode, lane.laneNo);
    return record && this.accessEvent(lot, record);
  }

  private leaveEvent(lot: Lot): CallbackBody | undefined {
    const lane = this.onlineLane(lot, "out");
    if (!lane) return undefined;
    const vehicleCode = this.state.random.pick([...lot.inPark.keys()]);
    const record = this.state.leave(lot.parkingId, vehicleCode, lane.laneNo);
    return record && this.accessEvent(lot, record);
  }

  /** An authorised vehicle or a booked visitor not inside, else a new temporary plate; never a barred one. */
  private arrivingPlate(lot: Lot): string {
    const random = this.state.random;
    const roll = random.next();
    const authorised = this.state.authorisations(lot.parkingId);
    const visitors = [...lot.visitors.keys()];
    // A vehicle that just passed a lane does not come back within the minute: the platform's times
    // are whole seconds, so lot, plate, direction, second and lane name one access (as on a real lot).
    const recent = new Set<string>();
    for (let i = lot.records.length - 1; i >= 0; i--) {
      const entry = lot.records[i] as { at: number; record: { vehicleCode: string } };
      if (entry.at < Date.now() - 60_000) break;
      recent.add(entry.record.vehicleCode);
    }
    for (let tries = 0; tries < 5; tries++) {
      const candidate =
        roll < 0.55 && authorised.length > 0
          ? random.pick(authorised).vehicleCode
          : roll < 0.7 && visitors.length > 0
            ? random.pick(visitors)
            : undefined;
      if (candidate && !lot.inPark.has(candidate) && !lot.blacklist.has(candidate) && !recent.has(candidate))
        return candidate;
    }
    const taken = new Set([...lot.inPark.keys(), ...lot.authorisations.keys(), ...lot.blacklist.keys(), ...recent]);
    return uniquePlate(random, random.pick([lot.plateRegion, ...VISITING_REGIONS]), taken);
  }

  private onlineLane(lot: Lot, direction: "in" | "out"): Lane | undefined {
    const lanes = lot.lanes.filter((l) => l.direction === direction && l.cameraOnline);
    return lanes.length > 0 ? this.state.random.pick(lanes) : undefined;
  }

  // ---- callback bodies (field order as in the seed's examples) --------------------------------

  private accessEvent(lot: Lot, record: AccessRecord): CallbackBody {
    const stats = this.state.stats(lot.parkingId);
    return {
      callbackType: "PARKING_VEHICLE_ACCESS",
      data: {
        vehicleCode: record.vehicleCode,
        vehicleType: record.vehicleType,
        // Callbacks say 0 in / 1 out where the records say 1 / 2.
        accessType: record.accessType === "1" ? "0" : "1",
        time: record.time,
        laneNo: record.laneNo,
        laneName: record.laneName,
        photo: record.photo,
        parkingId: lot.parkingId,
        userName: record.userName,
        tempLot: stats.tempLot,
        inParkNum: stats.usedLot,
        totalLot: stats.totalLot - stats.usedLot,
        phoneNum: record.phoneNum,
      },
    };
  }

  private cameraEvent(lot: Lot, lane: Lane, online: boolean): CallbackBody {
    lane.cameraOnline = online;
    return {
      callbackType: "PARKING_CAMERA_ONLINE",
      data: {
        parkingId: lot.parkingId,
        laneNo: lane.laneNo,
        laneName: lane.laneName,
        time: formatPlatformTime(Date.now(), "second"),
        status: online ? "1" : "0",
      },
    };
  }

  private visitorEvent(lot: Lot, given?: Partial<Visitor>): CallbackBody {
    const random = this.state.random;
    const vehicleCode =
      given?.vehicleCode ?? uniquePlate(random, random.pick(VISITING_REGIONS), new Set(lot.visitors.keys()));
    const visitor = { ...generateVisitor(random, lot, vehicleCode, Date.now()), ...given, parkingId: lot.parkingId };
    this.state.putVisitor(visitor);
    return {
      callbackType: "PARKING_VISITOR",
      data: {
        parkingId: visitor.parkingId,
        vehicleCode: visitor.vehicleCode,
        userName: visitor.userName,
        userPhoneNumber: visitor.userPhoneNumber,
        // The callback carries days (yyyy-MM-dd) where getVisitor answers minutes.
        startTime: visitor.startTime.slice(0, 10),
        endTime: visitor.endTime.slice(0, 10),
        memo: visitor.memo,
      },
    };
  }

  private async emit(event: CallbackBody): Promise<SentCallback[]> {
    this.events.push(event);
    return this.delivery.deliver(event);
  }
}
