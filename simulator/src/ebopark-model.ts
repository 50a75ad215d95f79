/**
 * The simulated Ebopark lots' records. Field names are Ebopark's vocabulary (shared's
 * `eboparkVocabulary`), so what the simulator stores is what its reports and carParkSession say.
 */

/** A lane (通道) and the camera/barrier device that serves it. */
export interface EboparkChannel {
  channelId: number;
  channelName: string;
  direction: "in" | "out";
  deviceId: string;
  deviceName: string;
  online: boolean;
}

/** A device of the lot that serves no particular lane (a space display, the lot controller). */
export interface EboparkDevice {
  deviceId: string;
  deviceName: string;
  deviceType: string;
  online: boolean;
}

/** One stay, from entry to exit: what carParkSession answers (times yyyy-MM-dd HH:mm:ss, UTC+8). */
export interface EboparkSession {
  parkCode: string;
  parkName: string;
  plateNumber: string;
  plateColor: string;
  carType: string;
  carColor: string;
  isNewEnergy: 0 | 1;
  /** TEMP (per visit), MONTH (monthly) or FIX (fixed space). */
  chargeType: "TEMP" | "MONTH" | "FIX";
  companyName: string;
  entryTime: string;
  entryChannelId: number;
  entryChannelName: string;
  entryPlateImage: string;
  entryNotes: string | null;
  exitTime: string | null;
  exitChannelId: number | null;
  exitChannelName: string | null;
  exitPlateImage: string;
  parkMins: number | null;
  chargeAmount: number;
  deductAmount: number;
  couponAmount: number;
  miscAmount: number;
  incomeAmount: number;
  freeReason: string;
  operatorName: string;
  /** Internal: the instants of entry and exit (ms). */
  enteredAt: number;
  exitedAt: number | null;
}

/** How a stay was paid at the exit. */
export type ExitPayment = "order" | "seamless" | "abnormal" | "free";

/** A paid stay: a lot order, or a third-party seamless payment. */
export interface EboparkOrder {
  orderNo: string;
  parkCode: string;
  plateNumber: string;
  entryTime: string;
  exitTime: string;
  payTime: string;
  parkMins: number;
  chargeType: EboparkSession["chargeType"];
  chargeAmount: number;
  deductAmount: number;
  couponAmount: number;
  incomeAmount: number;
  seamless: boolean;
}

/** A barrier lifted by hand (异常抬杆), as its report says it. */
export interface EboparkAbnormalLift {
  parkCode: string;
  plateNumber: string;
  entryTime: string;
  exitTime: string;
  parkMins: number;
  chargeType: string;
  reason: string;
  operatorName: string;
  entryChannelName: string;
  exitChannelName: string;
  chargeAmount: number;
  deductAmount: number;
  couponAmount: number;
  incomeAmount: number;
  carType: string;
  imageUrl: string;
  notes: string;
}

/** A monthly rate (月租费率): what QueryMonthRule answers and AddMonthCarV2 refers to. */
export interface EboparkMonthRule {
  ruleId: number;
  ruleName: string;
  chargeType: "MONTH" | "FIX";
  amount1: number;
  amount3: number;
  amount6: number;
  amount12: number;
}

/** A monthly (or fixed-space) vehicle. */
export interface EboparkMonthCar {
  plateNumber: string;
  userName: string;
  userMobile: string;
  ruleId: number;
  chargeType: "MONTH" | "FIX";
  /** yyyy-MM-dd, inclusive. */
  startTime: string;
  endTime: string;
  lotNo: string;
}

/** A deduction coupon (抵扣券), as QueryDeduList lists it. Status 0 unused, 1 used, 2 to claim, 4 expired, 5 cancelled, 9 recovered. */
export interface EboparkDeduction {
  deduId: string;
  carNo: string;
  parkCode: string;
  deduType: number;
  deduValue: number;
  status: 0 | 1 | 2 | 4 | 5 | 9;
  sendTime: string;
  expireTime: string;
}

export interface EboparkLot {
  parkCode: string;
  parkName: string;
  address: string;
  totalSpace: number;
  /** Province + office letter of plates generated here, e.g. "川A". */
  plateRegion: string;
  channels: EboparkChannel[];
  devices: EboparkDevice[];
  /** Stays in progress, by plate. */
  inPark: Map<string, EboparkSession>;
  /** Every stay (ended or not), in entry order. */
  sessions: EboparkSession[];
  orders: EboparkOrder[];
  abnormalLifts: EboparkAbnormalLift[];
  monthRules: EboparkMonthRule[];
  monthCars: Map<string, EboparkMonthCar>;
  deductions: EboparkDeduction[];
}
