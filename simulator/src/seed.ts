/**
 * The seeded starting data: three lots with lanes, custom vehicle types, authorised vehicles,
 * a blacklist, visitor bookings, vehicles inside and a few days of access records. Everything
 * but the clock comes from the seeded random source.
 */
import { formatPlatformTime } from "@parkbridge/shared";
import type { AccessRecord, Authorisation, Lane, Lot, Visitor } from "./model.js";
import { mobileNumber, personName, type Random, uniquePlate } from "./random.js";

export interface LotPlan {
  parkingId: string;
  name: string;
  totalLot: number;
  mothTotalLot: number;
  plateRegion: string;
  /** Entry/exit lane pairs. */
  lanePairs: number;
}

export const LOT_PLANS: readonly LotPlan[] = [
  { parkingId: "park1", name: "一号停车场", totalLot: 500, mothTotalLot: 300, plateRegion: "鲁A", lanePairs: 2 },
  { parkingId: "park2", name: "二号停车场", totalLot: 200, mothTotalLot: 80, plateRegion: "鲁B", lanePairs: 1 },
  { parkingId: "park3", name: "三号停车场", totalLot: 120, mothTotalLot: 40, plateRegion: "京A", lanePairs: 1 },
];

const CUSTOM_TYPES = [
  { vehicleTypeCode: "VIP", vehicleTypeName: "贵宾车", showName: "贵宾专用车" },
  { vehicleTypeCode: "EMS", vehicleTypeName: "邮政车", showName: "邮政快递车" },
  { vehicleTypeCode: "BUS", vehicleTypeName: "班车", showName: "员工班车" },
];
const DEPARTMENTS = ["行政部", "研发部", "财务部", "市场部", "后勤部"];
const REMARKS = ["", "", "公司公务车", "长期租户", "物业登记"];
const VISIT_REASONS = ["业务拜访", "技术交流", "送货", "面试", "会议"];

/** Counters shared by every lot, so ids are unique across the account. */
export interface IdCounters {
  record: number;
  vehicleType: number;
  coupon: number;
}

export function newCounters(): IdCounters {
  return { record: 100_000, vehicleType: 100, coupon: 0 };
}

export const photoUrl = (parkingId: string, recordId: number) =>
  `http://127.0.0.1/simulator/photos/${parkingId}/${recordId}.jpg`;

export function makeLanes(parkingId: string, pairs: number): Lane[] {
  const lanes: Lane[] = [];
  for (let pair = 1; pair <= pairs; pair++) {
    for (const direction of ["in", "out"] as const) {
      const laneNo = String(lanes.length + 1);
      lanes.push({
        laneId: `${parkingId}-${laneNo}`,
        laneNo,
        laneName: `${direction === "in" ? "入口" : "出口"}车道${pair}`,
        direction,
        cameraOnline: true,
      });
    }
  }
  return lanes;
}

// Bulk generation formats the same few hundred days again and again.
const dayCache = new Map<number, string>();
function day(at: number): string {
  let text = dayCache.get(at);
  if (text === undefined) {
    if (dayCache.size > 5000) dayCache.clear();
    text = formatPlatformTime(at, "date");
    dayCache.set(at, text);
  }
  return text;
}

/** One generated authorisation (monthly mostly, some free, some of a custom type). */
export function generateAuthorisation(
  random: Random,
  lot: Pick<Lot, "parkingId" | "plateRegion" | "vehicleTypes" | "lanes">,
  taken: Set<string>,
  now: number,
): Authorisation {
  const roll = random.next();
  const custom = lot.vehicleTypes.length > 0 && roll > 0.9 ? random.pick(lot.vehicleTypes) : undefined;
  const vehicleType = custom ? String(custom.recordId) : roll < 0.75 ? "1" : "2";
  const startTime = day(now - random.int(10, 300) * 86_400_000);
  const endTime = day(now + random.int(30, 365) * 86_400_000);
  const entryLanes = lot.lanes.filter((l) => l.direction === "in").map((l) => l.laneNo);
  return {
    parkingId: lot.parkingId,
    vehicleCode: uniquePlate(random, lot.plateRegion, taken),
    vehicleType,
    userName: personName(random),
    userPhoneNumber: mobileNumber(random),
    startTime,
    endTime,
    laneNos: random.chance(0.2) && entryLanes.length > 1 ? lot.lanes.map((l) => l.laneNo).join(",") : "",
    lotNum: random.chance(0.1) ? 2 : 1,
    remark: random.pick(REMARKS),
    workNum: String(random.int(10_000, 99_999)),
    deptName: random.pick(DEPARTMENTS),
  };
}

export function generateVisitor(random: Random, lot: Lot, vehicleCode: string, now: number): Visitor {
  const day = formatPlatformTime(now + random.int(0, 2) * 86_400_000, "date");
  const startHour = random.int(8, 13);
  const hh = (h: number) => String(h).padStart(2, "0");
  return {
    parkingId: lot.parkingId,
    vehicleCode,
    userName: personName(random),
    userPhoneNumber: mobileNumber(random),
    startTime: `${day} ${hh(startHour)}:00`,
    endTime: `${day} ${hh(startHour + random.int(2, 8))}:00`,
    memo: random.pick(VISIT_REASONS),
    otherInfo: { ext1: `来访单位${random.int(1, 99)}`, ext2: `接待人${personName(random)}` },
  };
}

/** The access record of a vehicle passing a lane at `at`. */
export function accessRecord(
  lot: Lot,
  counters: IdCounters,
  vehicle: { vehicleCode: string; vehicleType: string },
  lane: Lane,
  at: number,
): AccessRecord {
  const recordId = ++counters.record;
  const owner = lot.authorisations.get(vehicle.vehicleCode);
  return {
    recordId,
    vehicleCode: vehicle.vehicleCode,
    vehicleType: vehicle.vehicleType,
    accessType: lane.direction === "in" ? "1" : "2",
    time: formatPlatformTime(at, "second"),
    laneNo: lane.laneNo,
    laneName: lane.laneName,
    photo: photoUrl(lot.parkingId, recordId),
    parkingId: lot.parkingId,
    userName: owner?.userName ?? "",
    workNo: owner?.workNum ?? "",
    phoneNum: owner?.userPhoneNumber ?? "",
  };
}

export interface SeedOptions {
  vehicleCount: number;
  now: number;
}

/** A lot as its plan describes it, with nothing in it yet. */
export function emptyLot(plan: LotPlan): Lot {
  return {
    parkingId: plan.parkingId,
    name: plan.name,
    totalLot: plan.totalLot,
    mothTotalLot: plan.mothTotalLot,
    plateRegion: plan.plateRegion,
    lanes: makeLanes(plan.parkingId, plan.lanePairs),
    authorisations: new Map(),
    blacklist: new Map(),
    inPark: new Map(),
    records: [],
    visitors: new Map(),
    vehicleTypes: [],
    coupons: [],
    outings: [],
    gateOpenings: [],
  };
}

export function seedLots(random: Random, counters: IdCounters, options: SeedOptions): Lot[] {
  const { now } = options;
  return LOT_PLANS.map((plan) => {
    const lot = emptyLot(plan);
    const typeCount = random.int(1, CUSTOM_TYPES.length);
    lot.vehicleTypes = CUSTOM_TYPES.slice(0, typeCount).map((t) => ({ recordId: ++counters.vehicleType, ...t }));

    const taken = new Set<string>();
    for (let i = 0; i < options.vehicleCount; i++) {
      const authorisation = generateAuthorisation(random, lot, taken, now);
      lot.authorisations.set(authorisation.vehicleCode, authorisation);
    }
    for (let i = 0; i < 3; i++) {
      const vehicleCode = uniquePlate(random, random.pick(["鲁A", "鲁B", "京A", "苏E", "粤B"]), taken);
      lot.blacklist.set(vehicleCode, {
        vehicleCode,
        stopTime: formatPlatformTime(now + random.int(7, 180) * 86_400_000, "date"),
      });
    }
    for (let i = 0; i < 4; i++) {
      const vehicleCode = uniquePlate(random, lot.plateRegion, taken);
      lot.visitors.set(vehicleCode, generateVisitor(random, lot, vehicleCode, now));
    }

    const entries = lot.lanes.filter((l) => l.direction === "in");
    const exits = lot.lanes.filter((l) => l.direction === "out");
    const authorised = [...lot.authorisations.values()];
    const pickVehicle = () => {
      if (authorised.length > 0 && random.chance(0.6)) {
        const a = random.pick(authorised);
        return { vehicleCode: a.vehicleCode, vehicleType: a.vehicleType };
      }
      return {
        vehicleCode: uniquePlate(random, random.pick([lot.plateRegion, "鲁C", "冀A"]), taken),
        vehicleType: "9",
      };
    };

    // Three days of visits that have ended, then the vehicles inside now; records are numbered in time order.
    const passages: Array<{ at: number; vehicle: { vehicleCode: string; vehicleType: string }; lane: Lane }> = [];
    for (let i = 0; i < 40 * 3; i++) {
      const vehicle = pickVehicle();
      const inAt = now - random.int(2 * 3600, 72 * 3600) * 1000;
      const outAt = inAt + random.int(10 * 60, 10 * 3600) * 1000;
      if (outAt >= now) continue;
      passages.push(
        { at: inAt, vehicle, lane: random.pick(entries) },
        { at: outAt, vehicle, lane: random.pick(exits) },
      );
    }
    const inside = Math.min(random.int(5, 12), lot.totalLot);
    for (let i = 0; i < inside; i++) {
      const vehicle = pickVehicle();
      if (lot.inPark.has(vehicle.vehicleCode)) continue;
      const lane = random.pick(entries);
      const at = now - random.int(5 * 60, 12 * 3600) * 1000;
      lot.inPark.set(vehicle.vehicleCode, {
        ...vehicle,
        laneNo: lane.laneNo,
        intime: formatPlatformTime(at, "second"),
        enteredAt: at,
        visitor: false,
      });
      passages.push({ at, vehicle, lane });
    }
    passages.sort((a, b) => a.at - b.at);
    lot.records = passages.map(({ at, vehicle, lane }) => ({
      at,
      record: accessRecord(lot, counters, vehicle, lane, at),
    }));
    return lot;
  });
}
