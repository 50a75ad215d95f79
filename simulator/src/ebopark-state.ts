/**
 * The simulated Ebopark lots and the changes their events make: vehicles enter and leave through
 * channels, stays are priced and paid (a lot order or a seamless payment), barriers are lifted by
 * hand, devices go offline. Reports (ebopark-traffic.ts) and carParkSession both read this state,
 * so the sessions it serves are the ones its reports told of. Seeded from its own random source, so
 * the open platform's data and traffic are the same with or without it.
 */
import { formatPlatformTime } from "@parkbridge/shared";
import type {
  EboparkAbnormalLift,
  EboparkChannel,
  EboparkDevice,
  EboparkLot,
  EboparkMonthCar,
  EboparkMonthRule,
  EboparkOrder,
  EboparkSession,
  ExitPayment,
} from "./ebopark-model.js";
import { createRandom, mobileNumber, personName, type Random, uniquePlate } from "./random.js";

interface LotPlan {
  parkCode: string;
  parkName: string;
  address: string;
  totalSpace: number;
  plateRegion: string;
  channels: Array<[number, string, "in" | "out"]>;
}

/** Codes and names as in Ebopark's own examples (510107148 测试车场, 一号入口, 二号出口; 510185001). */
export const EBOPARK_LOT_PLANS: readonly LotPlan[] = [
  {
    parkCode: "510107148",
    parkName: "测试车场",
    address: "四川省成都市武侯区",
    totalSpace: 300,
    plateRegion: "川A",
    channels: [
      [9460, "一号入口", "in"],
      [9461, "二号出口", "out"],
      [9462, "三号入口", "in"],
      [9463, "四号出口", "out"],
    ],
  },
  {
    parkCode: "510185001",
    parkName: "简阳示范车场",
    address: "四川省成都市简阳市",
    totalSpace: 120,
    plateRegion: "川A",
    channels: [
      [9470, "东门入口", "in"],
      [9471, "东门出口", "out"],
    ],
  },
];

const CAR_COLORS = ["白色", "黑色", "银色", "红色", "蓝色"];
const OPERATORS = ["张三", "李四", "王五"];
const LIFT_REASONS = ["异常抬杆", "设备故障放行", "人工放行"];
/** Free minutes of a temporary stay, then 5 yuan an hour begun, at most 50 a day. */
const FREE_MINUTES = 15;
const YUAN_PER_HOUR = 5;
const YUAN_PER_DAY = 50;

export interface EboparkStateOptions {
  seed: number;
}

/** What a vehicle leaving produced. */
export interface Departure {
  session: EboparkSession;
  payment: ExitPayment;
  order?: EboparkOrder;
  lift?: EboparkAbnormalLift;
}

export interface EboparkSnapshot {
  lots: Array<{
    parkCode: string;
    parkName: string;
    totalSpace: number;
    freeSpace: number;
    channels: EboparkChannel[];
    devices: EboparkDevice[];
    inPark: EboparkSession[];
    sessions: number;
    orders: number;
    abnormalLifts: number;
    monthRules: EboparkMonthRule[];
    monthCars: number;
  }>;
}

const day = (ms: number) => formatPlatformTime(ms, "date");
const second = (ms: number) => formatPlatformTime(ms, "second");

/** What a temporary stay of `minutes` costs, yuan. */
export function temporaryFee(minutes: number): number {
  if (minutes <= FREE_MINUTES) return 0;
  const days = Math.floor(minutes / 1440);
  const rest = minutes % 1440;
  return days * YUAN_PER_DAY + Math.min(YUAN_PER_DAY, Math.ceil(rest / 60) * YUAN_PER_HOUR);
}

export class EboparkState {
  random: Random;
  private lotsByCode = new Map<string, EboparkLot>();
  private orderCounter = 0;

  constructor(private readonly options: EboparkStateOptions) {
    this.random = createRandom(options.seed ^ 0xeb0_9a4c);
    this.reset();
  }

  reset(now = Date.now()): void {
    this.random = createRandom(this.options.seed ^ 0xeb0_9a4c);
    this.orderCounter = 0;
    this.lotsByCode = new Map();
    // Each lot is seeded by replaying its past stays through enter/leave, so it is registered first.
    for (const [index, plan] of EBOPARK_LOT_PLANS.entries()) this.seedLot(plan, index, now);
  }

  // ---- reading ------------------------------------------------------------------------------

  lots(): EboparkLot[] {
    return [...this.lotsByCode.values()];
  }

  lot(parkCode: string): EboparkLot | undefined {
    return this.lotsByCode.get(parkCode);
  }

  requireLot(parkCode: string): EboparkLot {
    const lot = this.lotsByCode.get(parkCode);
    if (!lot) throw new Error(`no Ebopark lot ${parkCode} (lots: ${[...this.lotsByCode.keys()].join(", ")})`);
    return lot;
  }

  freeSpace(parkCode: string): number {
    const lot = this.requireLot(parkCode);
    return Math.max(0, lot.totalSpace - lot.inPark.size);
  }

  /** Stays with an entry or an exit from `from` to `to` (ms, inclusive), in entry order. */
  sessionsBetween(parkCode: string, from: number, to: number): EboparkSession[] {
    const inRange = (at: number | null) => at !== null && at >= from && at <= to;
    return this.requireLot(parkCode).sessions.filter((s) => inRange(s.enteredAt) || inRange(s.exitedAt));
  }

  monthCar(parkCode: string, plate: string): EboparkMonthCar | undefined {
    return this.lotsByCode.get(parkCode)?.monthCars.get(plate);
  }

  snapshot(): EboparkSnapshot {
    return {
      lots: this.lots().map((lot) => ({
        parkCode: lot.parkCode,
        parkName: lot.parkName,
        totalSpace: lot.totalSpace,
        freeSpace: this.freeSpace(lot.parkCode),
        channels: lot.channels,
        devices: lot.devices,
        inPark: [...lot.inPark.values()],
        sessions: lot.sessions.length,
        orders: lot.orders.length,
        abnormalLifts: lot.abnormalLifts.length,
        monthRules: lot.monthRules,
        monthCars: lot.monthCars.size,
      })),
    };
  }

  // ---- changes ------------------------------------------------------------------------------

  putMonthCar(parkCode: string, car: EboparkMonthCar): EboparkMonthCar {
    this.requireLot(parkCode).monthCars.set(car.plateNumber, car);
    return car;
  }

  /** A vehicle passes an entry channel; undefined when it is already inside. */
  enter(
    parkCode: string,
    plate: string,
    options: { channelId?: number; now?: number } = {},
  ): EboparkSession | undefined {
    const lot = this.requireLot(parkCode);
    if (lot.inPark.has(plate)) return undefined;
    const now = options.now ?? Date.now();
    const channel = this.channel(lot, "in", options.channelId);
    const newEnergy = plate.length === 8;
    const session: EboparkSession = {
      parkCode: lot.parkCode,
      parkName: lot.parkName,
      plateNumber: plate,
      plateColor: newEnergy ? "绿色" : "蓝色",
      carType: "小型车",
      carColor: this.random.pick(CAR_COLORS),
      isNewEnergy: newEnergy ? 1 : 0,
      chargeType: this.chargeTypeOf(lot, plate, now),
      companyName: "",
      entryTime: second(now),
      entryChannelId: channel.channelId,
      entryChannelName: channel.channelName,
      entryPlateImage: imageUrl(lot.parkCode, plate, now),
      entryNotes: null,
      exitTime: null,
      exitChannelId: null,
      exitChannelName: null,
      exitPlateImage: "",
      parkMins: null,
      chargeAmount: 0,
      deductAmount: 0,
      couponAmount: 0,
      miscAmount: 0,
      incomeAmount: 0,
      freeReason: "",
      operatorName: "",
      enteredAt: now,
      exitedAt: null,
    };
    lot.inPark.set(plate, session);
    lot.sessions.push(session);
    return session;
  }

  /**
   * A vehicle inside passes an exit channel, its stay priced and paid: a lot order, a third-party
   * seamless payment, or (abnormal) a barrier lifted by hand. Undefined when it was not inside.
   */
  leave(
    parkCode: string,
    plate: string,
    options: {
      channelId?: number;
      now?: number;
      payment?: "order" | "seamless" | "abnormal";
      reason?: string;
      operatorName?: string;
    } = {},
  ): Departure | undefined {
    const lot = this.requireLot(parkCode);
    const session = lot.inPark.get(plate);
    if (!session) return undefined;
    const now = Math.max(options.now ?? Date.now(), session.enteredAt);
    const channel = this.channel(lot, "out", options.channelId);
    const minutes = Math.floor((now - session.enteredAt) / 60_000);
    const charge = session.chargeType === "TEMP" ? temporaryFee(minutes) : 0;
    const coupon = charge > 0 && this.random.chance(0.2) ? Math.min(charge, 5) : 0;
    const deduct = charge - coupon > 0 && this.random.chance(0.1) ? Math.min(charge - coupon, 3) : 0;
    lot.inPark.delete(plate);
    Object.assign(session, {
      exitTime: second(now),
      exitChannelId: channel.channelId,
      exitChannelName: channel.channelName,
      exitPlateImage: imageUrl(lot.parkCode, plate, now),
      parkMins: minutes,
      chargeAmount: charge,
      couponAmount: coupon,
      deductAmount: deduct,
      exitedAt: now,
    });
    if (options.payment === "abnormal") {
      session.incomeAmount = 0;
      session.freeReason = options.reason ?? "异常抬杆";
      session.operatorName = options.operatorName ?? this.random.pick(OPERATORS);
      return { session, payment: "abnormal", lift: this.recordLift(lot, session, channel, session.freeReason) };
    }
    session.incomeAmount = charge - coupon - deduct;
    if (session.incomeAmount <= 0) {
      session.freeReason = session.chargeType === "TEMP" ? (charge === 0 ? "免费时段" : "优惠抵扣") : "月租车";
      return { session, payment: "free" };
    }
    const seamless = options.payment ? options.payment === "seamless" : this.random.chance(0.25);
    const order: EboparkOrder = {
      orderNo: `EB${lot.parkCode}${String(++this.orderCounter).padStart(6, "0")}`,
      parkCode: lot.parkCode,
      plateNumber: plate,
      entryTime: session.entryTime,
      exitTime: session.exitTime as string,
      payTime: session.exitTime as string,
      parkMins: minutes,
      chargeType: session.chargeType,
      chargeAmount: charge,
      deductAmount: deduct,
      couponAmount: coupon,
      incomeAmount: session.incomeAmount,
      seamless,
    };
    lot.orders.push(order);
    return { session, payment: seamless ? "seamless" : "order", order };
  }

  /** A barrier lifted by hand with nobody inside to let out (an empty lift). */
  emptyLift(
    parkCode: string,
    options: { channelId?: number; now?: number; reason?: string; operatorName?: string } = {},
  ): EboparkAbnormalLift {
    const lot = this.requireLot(parkCode);
    const channel = this.channel(lot, "out", options.channelId);
    const now = options.now ?? Date.now();
    const lift: EboparkAbnormalLift = {
      parkCode: lot.parkCode,
      plateNumber: "",
      entryTime: "",
      exitTime: second(now),
      parkMins: 0,
      chargeType: "TEMP",
      reason: options.reason ?? this.random.pick(LIFT_REASONS),
      operatorName: options.operatorName ?? this.random.pick(OPERATORS),
      entryChannelName: "",
      exitChannelName: channel.channelName,
      chargeAmount: 0,
      deductAmount: 0,
      couponAmount: 0,
      incomeAmount: 0,
      carType: "",
      imageUrl: imageUrl(lot.parkCode, "lift", now),
      notes: "无车抬杆",
    };
    lot.abnormalLifts.push(lift);
    return lift;
  }

  /** Sets a channel's device (by deviceId or channelId) or a lot device online or offline; returns what changed. */
  setOnline(parkCode: string, deviceId: string, online: boolean): EboparkChannel | EboparkDevice {
    const lot = this.requireLot(parkCode);
    const target =
      lot.channels.find((c) => c.deviceId === deviceId || String(c.channelId) === deviceId) ??
      lot.devices.find((d) => d.deviceId === deviceId);
    if (!target) throw new Error(`lot ${parkCode} has no device ${deviceId}`);
    target.online = online;
    return target;
  }

  /** An online channel of a direction, or undefined when every one is offline. */
  onlineChannel(lot: EboparkLot, direction: "in" | "out"): EboparkChannel | undefined {
    const channels = lot.channels.filter((c) => c.direction === direction && c.online);
    return channels.length > 0 ? this.random.pick(channels) : undefined;
  }

  // ---- internals ------------------------------------------------------------------------------

  private recordLift(lot: EboparkLot, session: EboparkSession, exit: EboparkChannel, reason: string) {
    const lift: EboparkAbnormalLift = {
      parkCode: lot.parkCode,
      plateNumber: session.plateNumber,
      entryTime: session.entryTime,
      exitTime: session.exitTime as string,
      parkMins: session.parkMins ?? 0,
      chargeType: session.chargeType,
      reason,
      operatorName: session.operatorName,
      entryChannelName: session.entryChannelName,
      exitChannelName: exit.channelName,
      chargeAmount: session.chargeAmount,
      deductAmount: session.deductAmount,
      couponAmount: session.couponAmount,
      incomeAmount: session.incomeAmount,
      carType: session.carType,
      imageUrl: session.exitPlateImage,
      notes: reason,
    };
    lot.abnormalLifts.push(lift);
    return lift;
  }

  private chargeTypeOf(lot: EboparkLot, plate: string, at: number): EboparkSession["chargeType"] {
    const car = lot.monthCars.get(plate);
    const today = day(at);
    return car && car.startTime <= today && today <= car.endTime ? car.chargeType : "TEMP";
  }

  private channel(lot: EboparkLot, direction: "in" | "out", channelId?: number): EboparkChannel {
    const candidates = lot.channels.filter((c) => c.direction === direction);
    const channel =
      channelId === undefined ? this.random.pick(candidates) : candidates.find((c) => c.channelId === channelId);
    if (!channel) {
      throw new Error(`lot ${lot.parkCode} has no ${direction === "in" ? "entry" : "exit"} channel ${channelId}`);
    }
    return channel;
  }

  private seedLot(plan: LotPlan, index: number, now: number): void {
    const random = this.random;
    const ruleBase = 10_001 + index * 100;
    const lot: EboparkLot = {
      parkCode: plan.parkCode,
      parkName: plan.parkName,
      address: plan.address,
      totalSpace: plan.totalSpace,
      plateRegion: plan.plateRegion,
      channels: plan.channels.map(([channelId, channelName, direction]) => ({
        channelId,
        channelName,
        direction,
        deviceId: `CAM-${channelId}`,
        deviceName: `${channelName}相机`,
        online: true,
      })),
      devices: [{ deviceId: `LED-${plan.parkCode}`, deviceName: "余位显示屏", deviceType: "display", online: true }],
      inPark: new Map(),
      sessions: [],
      orders: [],
      abnormalLifts: [],
      monthRules: [
        {
          ruleId: ruleBase,
          ruleName: "标准月租",
          chargeType: "MONTH",
          amount1: 300,
          amount3: 850,
          amount6: 1600,
          amount12: 3000,
        },
        {
          ruleId: ruleBase + 1,
          ruleName: "固定车位",
          chargeType: "FIX",
          amount1: 500,
          amount3: 1400,
          amount6: 2700,
          amount12: 5000,
        },
      ],
      monthCars: new Map(),
      deductions: [],
    };
    const taken = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const rule = random.chance(0.7)
        ? (lot.monthRules[0] as EboparkMonthRule)
        : (lot.monthRules[1] as EboparkMonthRule);
      const plateNumber = uniquePlate(random, plan.plateRegion, taken);
      lot.monthCars.set(plateNumber, {
        plateNumber,
        userName: personName(random),
        userMobile: mobileNumber(random),
        ruleId: rule.ruleId,
        chargeType: rule.chargeType,
        startTime: day(now - random.int(10, 200) * 86_400_000),
        endTime: day(now + random.int(20, 300) * 86_400_000),
        lotNo: rule.chargeType === "FIX" ? `B1-${String(random.int(1, 300)).padStart(3, "0")}` : "",
      });
    }
    const monthPlates = [...lot.monthCars.keys()];
    const arriving = () =>
      random.chance(0.4)
        ? random.pick(monthPlates)
        : uniquePlate(random, random.pick([plan.plateRegion, "川B", "渝A"]), taken);

    // Two days of stays that have ended, then the vehicles inside now.
    const visits: Array<{ plate: string; inAt: number; outAt: number | null }> = [];
    for (let i = 0; i < 50; i++) {
      const inAt = now - random.int(2 * 3600, 48 * 3600) * 1000;
      const outAt = inAt + random.int(5 * 60, 8 * 3600) * 1000;
      if (outAt < now - 60_000) visits.push({ plate: arriving(), inAt, outAt });
    }
    for (let i = random.int(4, 10); i > 0; i--)
      visits.push({ plate: arriving(), inAt: now - random.int(5 * 60, 10 * 3600) * 1000, outAt: null });
    visits.sort((a, b) => a.inAt - b.inAt);
    // Replay them in time order, so a plate is never inside twice at once.
    const events = visits.flatMap((v) => [
      { at: v.inAt, visit: v, entering: true },
      ...(v.outAt === null ? [] : [{ at: v.outAt, visit: v, entering: false }]),
    ]);
    events.sort((a, b) => a.at - b.at);
    this.lotsByCode.set(lot.parkCode, lot);
    const skipped = new Set<(typeof visits)[number]>();
    for (const { at, visit, entering } of events) {
      if (entering) {
        if (!this.enter(lot.parkCode, visit.plate, { now: at })) skipped.add(visit);
      } else if (!skipped.has(visit)) {
        this.leave(lot.parkCode, visit.plate, { now: at });
      }
    }
    for (let i = 0; i < 5; i++) {
      lot.deductions.push({
        deduId: `D${plan.parkCode}${String(i + 1).padStart(3, "0")}`,
        carNo: random.pick(monthPlates),
        parkCode: plan.parkCode,
        deduType: random.pick([1, 2]),
        deduValue: random.pick([30, 60, 5, 10]),
        status: random.pick([0, 0, 1, 4] as const),
        sendTime: second(now - random.int(1, 20) * 86_400_000),
        expireTime: day(now + random.int(5, 60) * 86_400_000),
      });
    }
  }
}

export const imageUrl = (parkCode: string, plate: string, at: number) =>
  `http://127.0.0.1/simulator/ebopark/${parkCode}/${encodeURIComponent(plate)}-${at}.jpg`;
