/**
 * Drives the Ebopark lots: vehicles enter and leave (paying by a lot order, a seamless
 * third-party payment, or let out by a barrier lifted by hand), lane devices go offline and come
 * back, the lot reports its spaces. Each event changes the state first, then goes out as Ebopark's
 * signed reports, in the order Ebopark would send them.
 */
import { formatPlatformTime } from "@parkbridge/shared";
import type {
  EboparkAbnormalLift,
  EboparkChannel,
  EboparkDevice,
  EboparkLot,
  EboparkOrder,
  EboparkSession,
} from "./ebopark-model.js";
import type { Departure, EboparkState } from "./ebopark-state.js";
import { PacedTraffic } from "./pacer.js";
import { uniquePlate } from "./random.js";
import type { EboparkReportBody, ReportDelivery, SentReport } from "./report-delivery.js";

const VISITING_REGIONS = ["川A", "川B", "川L", "渝A", "贵A"];

export class EboparkTraffic extends PacedTraffic<SentReport> {
  /** Every report generated, delivered or not (no report URL means none are delivered). */
  readonly events: EboparkReportBody[] = [];

  constructor(
    private readonly state: EboparkState,
    private readonly delivery: ReportDelivery,
    ratePerSecond: number,
  ) {
    super(ratePerSecond);
  }

  /** Generates `count` events now (each one or two reports) and delivers them in order. */
  async step(count = 1): Promise<SentReport[]> {
    const sent: SentReport[] = [];
    for (let i = 0; i < count; i++) sent.push(...(await this.emit(this.nextEvent())));
    return sent;
  }

  /** A vehicle enters now; undefined when it is already inside. */
  async vehicleEnters(parkCode: string, plate: string, channelId?: number) {
    const lot = this.state.requireLot(parkCode);
    const session = this.state.enter(parkCode, plate, {
      channelId: channelId ?? this.state.onlineChannel(lot, "in")?.channelId,
    });
    return session ? this.emit([entryReport(session)]) : undefined;
  }

  /** A vehicle inside leaves now, paying as told (default: as it happens); undefined when it was not inside. */
  async vehicleLeaves(
    parkCode: string,
    plate: string,
    options: {
      channelId?: number;
      payment?: "order" | "seamless" | "abnormal";
      reason?: string;
      operatorName?: string;
    } = {},
  ) {
    const lot = this.state.requireLot(parkCode);
    const departure = this.state.leave(parkCode, plate, {
      ...options,
      channelId: options.channelId ?? this.state.onlineChannel(lot, "out")?.channelId,
    });
    return departure ? this.emit(departureReports(lot, departure)) : undefined;
  }

  /** A barrier lifted by hand: lets out `plate` when given (it must be inside), else nobody. */
  async abnormalLift(
    parkCode: string,
    options: { plate?: string; channelId?: number; reason?: string; operatorName?: string } = {},
  ) {
    const lot = this.state.requireLot(parkCode);
    if (options.plate) {
      if (!lot.inPark.has(options.plate)) return undefined;
      return this.vehicleLeaves(parkCode, options.plate, { ...options, payment: "abnormal" });
    }
    const channelId = options.channelId ?? this.state.onlineChannel(lot, "out")?.channelId;
    return this.emit([abnormalReport(lot, this.state.emptyLift(parkCode, { ...options, channelId }))]);
  }

  /** A device (a channel's camera, by deviceId or channelId, or a lot device) goes offline or comes back. */
  async deviceStatus(parkCode: string, deviceId: string, online: boolean) {
    const lot = this.state.requireLot(parkCode);
    return this.emit([deviceReport(lot, this.state.setOnline(parkCode, deviceId, online))]);
  }

  /** The lot reports its base information and spaces now. */
  async lotInfo(parkCode: string) {
    return this.emit([lotInfoReport(this.state.requireLot(parkCode), this.state.freeSpace(parkCode))]);
  }

  // ---- event generation -----------------------------------------------------------------------

  private nextEvent(): EboparkReportBody[] {
    const random = this.state.random;
    const lot = random.pick(this.state.lots());
    const offline = [...lot.channels, ...lot.devices].filter((d) => !d.online);
    const roll = random.next();
    if (offline.length > 0 && roll < 0.3) return [deviceReport(lot, this.setOnline(lot, random.pick(offline), true))];
    if (roll < 0.04) {
      const online = [...lot.channels, ...lot.devices].filter((d) => d.online);
      if (online.length > 0) return [deviceReport(lot, this.setOnline(lot, random.pick(online), false))];
    }
    if (roll < 0.1) return [lotInfoReport(lot, this.state.freeSpace(lot.parkCode))];
    if (roll < 0.13) {
      const exit = this.state.onlineChannel(lot, "out");
      if (exit && lot.inPark.size > 0 && random.chance(0.7)) {
        const plate = random.pick([...lot.inPark.keys()]);
        const departure = this.state.leave(lot.parkCode, plate, { channelId: exit.channelId, payment: "abnormal" });
        if (departure) return departureReports(lot, departure);
      }
      if (exit) return [abnormalReport(lot, this.state.emptyLift(lot.parkCode, { channelId: exit.channelId }))];
    }
    const leaving = lot.inPark.size > 0 && (roll < 0.56 || this.state.freeSpace(lot.parkCode) === 0);
    const reports = leaving ? this.leaveEvent(lot) : this.enterEvent(lot);
    if (reports) return reports;
    // Every channel of that direction is offline: one comes back instead.
    const channel = random.pick(lot.channels.filter((c) => !c.online).concat(lot.channels));
    return [deviceReport(lot, this.setOnline(lot, channel, true))];
  }

  private enterEvent(lot: EboparkLot): EboparkReportBody[] | undefined {
    const channel = this.state.onlineChannel(lot, "in");
    if (!channel) return undefined;
    const session = this.state.enter(lot.parkCode, this.arrivingPlate(lot), { channelId: channel.channelId });
    return session && [entryReport(session)];
  }

  private leaveEvent(lot: EboparkLot): EboparkReportBody[] | undefined {
    const channel = this.state.onlineChannel(lot, "out");
    if (!channel) return undefined;
    const plate = this.state.random.pick([...lot.inPark.keys()]);
    const departure = this.state.leave(lot.parkCode, plate, { channelId: channel.channelId });
    return departure && departureReports(lot, departure);
  }

  /** A monthly vehicle not inside, else a new plate. */
  private arrivingPlate(lot: EboparkLot): string {
    const random = this.state.random;
    const monthly = [...lot.monthCars.keys()].filter((plate) => !lot.inPark.has(plate));
    if (monthly.length > 0 && random.chance(0.4)) return random.pick(monthly);
    const taken = new Set([...lot.inPark.keys(), ...lot.monthCars.keys()]);
    return uniquePlate(random, random.pick([lot.plateRegion, ...VISITING_REGIONS]), taken);
  }

  private setOnline(lot: EboparkLot, target: EboparkChannel | EboparkDevice, online: boolean) {
    return this.state.setOnline(lot.parkCode, target.deviceId, online);
  }

  private async emit(reports: EboparkReportBody[]): Promise<SentReport[]> {
    const sent: SentReport[] = [];
    for (const report of reports) {
      this.events.push(report);
      sent.push(...(await this.delivery.deliver(report)));
    }
    return sent;
  }
}

// ---- report bodies (Ebopark's vocabulary; the abnormal lift in its published field order) ------

function entryReport(s: EboparkSession): EboparkReportBody {
  return {
    report: "vehicleEntry",
    data: {
      parkCode: s.parkCode,
      parkName: s.parkName,
      plateNumber: s.plateNumber,
      plateColor: s.plateColor,
      carType: s.carType,
      carColor: s.carColor,
      isNewEnergy: s.isNewEnergy,
      chargeType: s.chargeType,
      entryTime: s.entryTime,
      entryChannelId: s.entryChannelId,
      entryChannelName: s.entryChannelName,
      imageUrl: s.entryPlateImage,
      operatorName: "",
      notes: "",
    },
  };
}

function exitReport(s: EboparkSession): EboparkReportBody {
  return {
    report: "vehicleExit",
    data: {
      parkCode: s.parkCode,
      parkName: s.parkName,
      plateNumber: s.plateNumber,
      plateColor: s.plateColor,
      carType: s.carType,
      isNewEnergy: s.isNewEnergy,
      chargeType: s.chargeType,
      entryTime: s.entryTime,
      exitTime: s.exitTime,
      parkMins: s.parkMins,
      entryChannelId: s.entryChannelId,
      entryChannelName: s.entryChannelName,
      exitChannelId: s.exitChannelId,
      exitChannelName: s.exitChannelName,
      chargeAmount: s.chargeAmount,
      deductAmount: s.deductAmount,
      couponAmount: s.couponAmount,
      miscAmount: s.miscAmount,
      incomeAmount: s.incomeAmount,
      freeReason: s.freeReason,
      imageUrl: s.exitPlateImage,
      operatorName: s.operatorName,
      notes: "",
    },
  };
}

function orderReport(lot: EboparkLot, o: EboparkOrder, s: EboparkSession): EboparkReportBody {
  const common = {
    parkCode: o.parkCode,
    parkName: lot.parkName,
    orderNo: o.orderNo,
    plateNumber: o.plateNumber,
    chargeType: o.chargeType,
    entryTime: o.entryTime,
    exitTime: o.exitTime,
    payTime: o.payTime,
    parkMins: o.parkMins,
  };
  const money = {
    chargeAmount: o.chargeAmount,
    deductAmount: o.deductAmount,
    couponAmount: o.couponAmount,
    incomeAmount: o.incomeAmount,
  };
  // payType / payChannel: fields outside the known vocabulary, kept as received by the receiver.
  if (!o.seamless) return { report: "parkingOrder", data: { ...common, ...money, payType: "WECHAT" } };
  return {
    report: "seamlessExit",
    data: {
      ...common,
      exitChannelId: s.exitChannelId,
      exitChannelName: s.exitChannelName,
      ...money,
      payChannel: "ETC",
    },
  };
}

/** An exit's reports, in Ebopark's order: paid at the barrier, then the exit; a seamless payment follows it. */
function departureReports(lot: EboparkLot, d: Departure): EboparkReportBody[] {
  const exit = exitReport(d.session);
  if (d.payment === "abnormal" && d.lift) return [abnormalReport(lot, d.lift), exit];
  if (d.payment === "order" && d.order) return [orderReport(lot, d.order, d.session), exit];
  if (d.payment === "seamless" && d.order) return [exit, orderReport(lot, d.order, d.session)];
  return [exit];
}

function abnormalReport(lot: EboparkLot, l: EboparkAbnormalLift): EboparkReportBody {
  return {
    report: "abnormalPass",
    data: {
      parkCode: l.parkCode,
      parkName: lot.parkName,
      plateNumber: l.plateNumber,
      entryTime: l.entryTime,
      exitTime: l.exitTime,
      parkMins: l.parkMins,
      chargeType: l.chargeType,
      reason: l.reason,
      operatorName: l.operatorName,
      entryChannelName: l.entryChannelName,
      exitChannelName: l.exitChannelName,
      chargeAmount: l.chargeAmount,
      deductAmount: l.deductAmount,
      couponAmount: l.couponAmount,
      incomeAmount: l.incomeAmount,
      carType: l.carType,
      imageUrl: l.imageUrl,
      notes: l.notes,
    },
  };
}

function deviceReport(lot: EboparkLot, target: EboparkChannel | EboparkDevice): EboparkReportBody {
  const channel = "channelId" in target ? target : undefined;
  return {
    report: "deviceStatus",
    data: {
      parkCode: lot.parkCode,
      parkName: lot.parkName,
      deviceId: target.deviceId,
      deviceName: target.deviceName,
      deviceType: channel ? "camera" : (target as EboparkDevice).deviceType,
      ...(channel ? { channelId: channel.channelId, channelName: channel.channelName } : {}),
      status: target.online ? 1 : 0,
      time: formatPlatformTime(Date.now(), "second"),
    },
  };
}

function lotInfoReport(lot: EboparkLot, freeSpace: number): EboparkReportBody {
  return {
    report: "lotInfo",
    data: {
      parkCode: lot.parkCode,
      parkName: lot.parkName,
      address: lot.address,
      totalSpace: lot.totalSpace,
      freeSpace,
      time: formatPlatformTime(Date.now(), "second"),
    },
  };
}
