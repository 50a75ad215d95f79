/**
 * The seven reports Ebopark pushes to a partner (section 3.3 of its document): POST JSON with
 * `partnerid` and `sign` in the query string, answered exactly `{"code":0,"msg":"success","data":null}`.
 *
 * Only the abnormal barrier lift (异常抬杆数据上报) is published field by field: its fields are
 * **documented**. The other six bodies are not public; their typed core is Ebopark's vocabulary
 * from its other documents, so those fields are **inferred**. Either way a report is never
 * refused for a field it lacks (unless the event would mean nothing without it) or for one we do
 * not know: unknown fields are kept as received. A field of the wrong kind is refused with its name.
 */
import { z } from "zod";
import {
  countSchema,
  type FieldMeta,
  lenientText,
  openObject,
  receivedPlateSchema,
  requiredText,
  safeText,
  TEXT_LIMITS,
} from "../platform/fields.js";
import { normalisePlatformTime, parseLocalParts } from "../util/time.js";

// ---- values: the shared primitives of platform/fields.ts ---------------------------------------
// Every value is bounded and acceptable text (no control characters or unpaired surrogates),
// unknown fields within UNKNOWN_FIELD_LIMITS, counts non-negative safe integers, plates the
// received-plate rule (what a camera read, 无牌车 included): as for the open platform's callbacks.

/** A money amount in yuan (e.g. 12 or "0.00"): a finite number or a numeric string, at most a trillion either way. */
const amount = () =>
  z
    .union(
      [
        z.number(),
        safeText(32)
          .trim()
          .regex(/^-?\d+(\.\d+)?$/)
          .transform(Number),
      ],
      { error: "must be an amount in yuan (a number)" },
    )
    .pipe(
      z
        .number()
        .refine((n) => Number.isFinite(n) && Math.abs(n) <= 1e12, { error: "must be an amount in yuan (a number)" }),
    );

/** A 0/1 flag (isNewEnergy): 0, 1, "0", "1", false or true; kept as 0 or 1. */
const flag = () =>
  z
    .union([z.literal(0), z.literal(1), z.literal("0"), z.literal("1"), z.boolean()], { error: "must be 0 or 1" })
    .transform((v) => (v === true || v === 1 || v === "1" ? 1 : 0));

/** An online/offline status: 1/0, "1"/"0", true/false, or ONLINE/OFFLINE (any case); kept as 1 or 0. */
const onlineStatus = () =>
  z
    .union([z.number(), safeText(16), z.boolean()], { error: "must be 1 (online) or 0 (offline)" })
    .transform((v, ctx) => {
      const s = String(v).trim().toLowerCase();
      if (s === "1" || s === "true" || s === "online") return 1;
      if (s === "0" || s === "false" || s === "offline") return 0;
      ctx.issues.push({ code: "custom", message: "must be 1 (online) or 0 (offline)", input: v });
      return z.NEVER;
    });

/** Ebopark's wall-clock time, `yyyy-MM-dd HH:mm:ss` in UTC+8 (unpadded parts re-padded). */
const localTime = () =>
  safeText(32)
    .refine((v) => parseLocalParts(v) !== undefined, { error: "must be a time formatted yyyy-MM-dd HH:mm:ss" })
    .transform(normalisePlatformTime);

/**
 * An optional field: absent, null, or (for a non-text kind) an empty string all mean "not given".
 * null and "" are kept as received in text fields; in the others they become null.
 */
function optional<T extends z.ZodType>(schema: T, kind: FieldKind) {
  if (kind === "text" || kind === "id") return schema.nullable().optional();
  return z.preprocess((v) => (v === "" ? null : v), schema.nullable()).optional();
}

// ---- field metadata --------------------------------------------------------------------------

/** Whether a field is in Ebopark's published page of that report, or taken from its vocabulary elsewhere. */
export type FieldSource = "documented" | "inferred";
/** The kind of value, as docs/protocol.md prints it. */
export type FieldKind = "text" | "id" | "plate" | "time" | "count" | "amount" | "flag" | "status";

export interface ReportFieldMeta extends FieldMeta {
  source: FieldSource;
  kind: FieldKind;
  required: boolean;
}

/** The schema of a field, from its vocabulary entry (required text must not be blank). */
function valueSchema(entry: VocabularyEntry, required: boolean): z.ZodType {
  switch (entry.kind) {
    case "text":
    case "id": {
      const max = entry.max ?? TEXT_LIMITS.name;
      if (required) return requiredText(max);
      return lenientText(max, entry.lineBreaks ? { lineBreaks: true } : {});
    }
    case "plate":
      return receivedPlateSchema;
    case "time":
      return localTime();
    case "count":
      return countSchema();
    case "amount":
      return amount();
    case "flag":
      return flag();
    case "status":
      return onlineStatus();
  }
}

interface VocabularyEntry {
  kind: FieldKind;
  zh: string;
  title: string;
  description: string;
  /** Text and ids: the longest value taken (default TEXT_LIMITS.name). */
  max?: number;
  /** Free text that may span lines (notes). */
  lineBreaks?: boolean;
}

/** Ebopark's vocabulary: every typed field of every report, described once. */
export const eboparkVocabulary = {
  parkCode: {
    kind: "text",
    zh: "车场编码",
    title: "Park Code",
    description: "Ebopark's code of the lot.",
    max: TEXT_LIMITS.id,
  },
  parkName: { kind: "text", zh: "车场名称", title: "Park Name", description: "The lot's name." },
  plateNumber: { kind: "plate", zh: "车牌号", title: "Plate", description: "The vehicle's plate, as read." },
  plateColor: {
    kind: "text",
    zh: "车牌颜色",
    title: "Plate Colour",
    description: "Colour of the plate (blue, green…).",
    max: TEXT_LIMITS.code,
  },
  carType: { kind: "text", zh: "车辆类型", title: "Vehicle Type", description: "e.g. 小型车 (small car)." },
  carColor: { kind: "text", zh: "车身颜色", title: "Vehicle Colour", description: "Colour of the vehicle." },
  isNewEnergy: { kind: "flag", zh: "是否新能源", title: "New Energy", description: "1 for a new-energy vehicle." },
  chargeType: {
    kind: "text",
    zh: "缴费类型",
    title: "Charge Type",
    description: "How the vehicle pays: TEMP (per visit), MONTH (monthly), FIX (fixed space)…",
    max: TEXT_LIMITS.code,
  },
  companyName: {
    kind: "text",
    zh: "公司名称",
    title: "Company",
    description: "The vehicle's company, if any.",
    max: TEXT_LIMITS.memo,
  },
  orderNo: {
    kind: "id",
    zh: "订单号",
    title: "Order Number",
    description: "The lot's order number.",
    max: TEXT_LIMITS.id,
  },
  entryTime: { kind: "time", zh: "入场时间", title: "Entry Time", description: "When it entered (UTC+8)." },
  exitTime: { kind: "time", zh: "出场时间", title: "Exit Time", description: "When it left (UTC+8)." },
  payTime: { kind: "time", zh: "支付时间", title: "Payment Time", description: "When it was paid (UTC+8)." },
  parkMins: { kind: "count", zh: "停车时长", title: "Minutes Parked", description: "Length of the stay, minutes." },
  entryChannelId: {
    kind: "id",
    zh: "入场通道编号",
    title: "Entry Lane ID",
    description: "Id of the entry lane.",
    max: TEXT_LIMITS.laneNo,
  },
  entryChannelName: { kind: "text", zh: "入场通道", title: "Entry Lane", description: "Name of the entry lane." },
  exitChannelId: {
    kind: "id",
    zh: "出场通道编号",
    title: "Exit Lane ID",
    description: "Id of the exit lane.",
    max: TEXT_LIMITS.laneNo,
  },
  exitChannelName: { kind: "text", zh: "出场通道", title: "Exit Lane", description: "Name of the exit lane." },
  chargeAmount: { kind: "amount", zh: "应收金额", title: "Amount Due", description: "What the stay costs, yuan." },
  deductAmount: { kind: "amount", zh: "抵扣金额", title: "Deducted", description: "Deduction coupons applied, yuan." },
  couponAmount: { kind: "amount", zh: "优惠金额", title: "Discount", description: "Discounts applied, yuan." },
  miscAmount: { kind: "amount", zh: "其他金额", title: "Other Amount", description: "Other amounts, yuan." },
  incomeAmount: { kind: "amount", zh: "实收金额", title: "Amount Paid", description: "What was actually paid, yuan." },
  freeReason: {
    kind: "text",
    zh: "免费原因",
    title: "Free Reason",
    description: "Why the stay was free.",
    max: TEXT_LIMITS.memo,
  },
  reason: {
    kind: "text",
    zh: "放行原因",
    title: "Reason",
    description: "Why the barrier was lifted.",
    max: TEXT_LIMITS.memo,
  },
  operatorName: { kind: "text", zh: "操作人", title: "Operator", description: "Who acted (staff on duty)." },
  imageUrl: {
    kind: "text",
    zh: "图片地址",
    title: "Image URL",
    description: "Photo of the vehicle or the event.",
    max: TEXT_LIMITS.url,
  },
  entryPlateImage: {
    kind: "text",
    zh: "入场车牌图片",
    title: "Entry Photo",
    description: "Plate photo at entry.",
    max: TEXT_LIMITS.url,
  },
  exitPlateImage: {
    kind: "text",
    zh: "出场车牌图片",
    title: "Exit Photo",
    description: "Plate photo at exit.",
    max: TEXT_LIMITS.url,
  },
  entryNotes: {
    kind: "text",
    zh: "入场备注",
    title: "Entry Notes",
    description: "Notes taken at entry.",
    max: TEXT_LIMITS.memo,
    lineBreaks: true,
  },
  notes: {
    kind: "text",
    zh: "备注",
    title: "Notes",
    description: "Free-text notes.",
    max: TEXT_LIMITS.memo,
    lineBreaks: true,
  },
  totalSpace: { kind: "count", zh: "总车位数", title: "Total Spaces", description: "Spaces in the lot." },
  freeSpace: { kind: "count", zh: "剩余车位数", title: "Free Spaces", description: "Spaces free now." },
  address: { kind: "text", zh: "车场地址", title: "Address", description: "Where the lot is.", max: TEXT_LIMITS.memo },
  deviceId: { kind: "id", zh: "设备编号", title: "Device ID", description: "Id of the device.", max: TEXT_LIMITS.id },
  deviceName: { kind: "text", zh: "设备名称", title: "Device Name", description: "Name of the device." },
  deviceType: {
    kind: "text",
    zh: "设备类型",
    title: "Device Type",
    description: "e.g. camera, barrier, display.",
    max: TEXT_LIMITS.name,
  },
  channelId: {
    kind: "id",
    zh: "通道编号",
    title: "Lane ID",
    description: "Id of the lane the device serves.",
    max: TEXT_LIMITS.laneNo,
  },
  channelName: { kind: "text", zh: "通道名称", title: "Lane", description: "Name of the lane the device serves." },
  status: { kind: "status", zh: "设备状态", title: "Status", description: "1 online, 0 offline." },
  time: { kind: "time", zh: "上报时间", title: "Time", description: "When it happened (UTC+8)." },
} as const satisfies Record<string, VocabularyEntry>;

export type EboparkFieldName = keyof typeof eboparkVocabulary;

/** `name: "required"` or `name: "optional"`, per report. */
type FieldPlan = Partial<Record<EboparkFieldName, "required" | "optional">>;

type KindOutput<K extends FieldKind> = K extends "count" | "amount" | "flag" | "status" ? number : string;
type Output<N extends EboparkFieldName> = KindOutput<(typeof eboparkVocabulary)[N]["kind"]>;
/** A required field is its value; an optional one may be absent or null. */
type ReportShape<P extends FieldPlan> = {
  [N in keyof P & EboparkFieldName]: P[N] extends "required"
    ? z.ZodType<Output<N>>
    : z.ZodOptional<z.ZodType<Output<N> | null>>;
};

/**
 * The typed core of one report: its planned fields with their metadata (`fields`), and the schema
 * of its body (`data`), which keeps unknown fields within UNKNOWN_FIELD_LIMITS.
 */
function reportSchema<const P extends FieldPlan>(source: FieldSource, plan: P) {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, presence] of Object.entries(plan) as Array<[EboparkFieldName, "required" | "optional"]>) {
    const entry: VocabularyEntry = eboparkVocabulary[name];
    const required = presence === "required";
    const base = valueSchema(entry, required);
    const meta: ReportFieldMeta = {
      title: entry.title,
      description: entry.description,
      zh: entry.zh,
      source,
      kind: entry.kind,
      required,
      ...(entry.kind === "time" ? { timeFormat: "second" as const } : {}),
    };
    shape[name] = (required ? base : optional(base, entry.kind)).meta(meta as unknown as Record<string, unknown>);
  }
  const fields = shape as ReportShape<P>;
  return { fields, data: openObject(fields) };
}

/** The metadata `reportSchema` attached to a field. */
export function reportFieldMeta(schema: z.ZodType): ReportFieldMeta | undefined {
  return schema.meta() as unknown as ReportFieldMeta | undefined;
}

// ---- the catalogue ---------------------------------------------------------------------------

const visit = {
  parkCode: "required",
  parkName: "optional",
  plateNumber: "required",
  plateColor: "optional",
  carType: "optional",
  carColor: "optional",
  isNewEnergy: "optional",
  chargeType: "optional",
  companyName: "optional",
} as const;

const money = {
  chargeAmount: "optional",
  deductAmount: "optional",
  couponAmount: "optional",
  miscAmount: "optional",
  incomeAmount: "optional",
  freeReason: "optional",
} as const;

export const eboparkReports = {
  vehicleEntry: {
    id: "vehicleEntry",
    zh: "车辆入场上报",
    title: "Vehicle Entered",
    description: "A vehicle entered the lot through an entry lane.",
    documented: false,
    ...reportSchema("inferred", {
      ...visit,
      entryTime: "required",
      entryChannelId: "optional",
      entryChannelName: "optional",
      imageUrl: "optional",
      entryPlateImage: "optional",
      entryNotes: "optional",
      operatorName: "optional",
      notes: "optional",
    }),
  },
  vehicleExit: {
    id: "vehicleExit",
    zh: "车辆出场上报",
    title: "Vehicle Left",
    description: "A vehicle left the lot through an exit lane.",
    documented: false,
    ...reportSchema("inferred", {
      ...visit,
      entryTime: "optional",
      exitTime: "required",
      parkMins: "optional",
      entryChannelId: "optional",
      entryChannelName: "optional",
      exitChannelId: "optional",
      exitChannelName: "optional",
      ...money,
      imageUrl: "optional",
      exitPlateImage: "optional",
      operatorName: "optional",
      notes: "optional",
    }),
  },
  parkingOrder: {
    id: "parkingOrder",
    zh: "车场订单上报",
    title: "Parking Order",
    description: "A stay was paid for (an order of the lot).",
    documented: false,
    ...reportSchema("inferred", {
      ...visit,
      orderNo: "optional",
      entryTime: "optional",
      exitTime: "optional",
      payTime: "optional",
      parkMins: "optional",
      ...money,
      operatorName: "optional",
      notes: "optional",
    }),
  },
  seamlessExit: {
    id: "seamlessExit",
    zh: "第三方无感出场",
    title: "Seamless Exit Payment",
    description: "A vehicle left paying through a third party without stopping (frictionless payment).",
    documented: false,
    ...reportSchema("inferred", {
      ...visit,
      orderNo: "optional",
      entryTime: "optional",
      exitTime: "optional",
      payTime: "optional",
      parkMins: "optional",
      exitChannelId: "optional",
      exitChannelName: "optional",
      ...money,
      notes: "optional",
    }),
  },
  lotInfo: {
    id: "lotInfo",
    zh: "停车场基础信息上报",
    title: "Lot Information",
    description: "The lot's base information: name, address and spaces.",
    documented: false,
    ...reportSchema("inferred", {
      parkCode: "required",
      parkName: "optional",
      address: "optional",
      totalSpace: "optional",
      freeSpace: "optional",
      time: "optional",
    }),
  },
  abnormalPass: {
    id: "abnormalPass",
    zh: "异常抬杆数据上报",
    title: "Abnormal Barrier Lift",
    description: "A barrier was lifted by hand or outside the normal flow, and why.",
    documented: true,
    // Exactly the fields of Ebopark's published page, in its order.
    ...reportSchema("documented", {
      parkCode: "required",
      parkName: "optional",
      plateNumber: "optional",
      entryTime: "optional",
      exitTime: "optional",
      parkMins: "optional",
      chargeType: "optional",
      reason: "optional",
      operatorName: "optional",
      entryChannelName: "optional",
      exitChannelName: "optional",
      chargeAmount: "optional",
      deductAmount: "optional",
      couponAmount: "optional",
      incomeAmount: "optional",
      carType: "optional",
      imageUrl: "optional",
      notes: "optional",
    }),
  },
  deviceStatus: {
    id: "deviceStatus",
    zh: "设备状态上报",
    title: "Device Status",
    description: "A device of the lot (lane camera, barrier, display) went offline or came back.",
    documented: false,
    ...reportSchema("inferred", {
      parkCode: "required",
      parkName: "optional",
      deviceId: "optional",
      deviceName: "optional",
      deviceType: "optional",
      channelId: "optional",
      channelName: "optional",
      status: "required",
      time: "optional",
    }),
  },
} as const;

export type EboparkReportId = keyof typeof eboparkReports;
export const eboparkReportIds = Object.keys(eboparkReports) as EboparkReportId[];

export function isEboparkReportId(value: string): value is EboparkReportId {
  return Object.hasOwn(eboparkReports, value);
}

/** A report's body as parsed: the typed core normalised, every other field as received. */
export type EboparkReportData<R extends EboparkReportId> = z.output<(typeof eboparkReports)[R]["data"]>;

/** A verified report, discriminated by `report`. */
export type EboparkReport = { [R in EboparkReportId]: { report: R; data: EboparkReportData<R> } }[EboparkReportId];
