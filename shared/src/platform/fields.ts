/**
 * The field vocabulary of the parking open platform: one zod schema per kind of value
 * (plate, date, code list…), each carrying the metadata that the n8n nodes, the simulator's
 * Chinese messages and the OpenAPI document read. Operations in `operations.ts` are built
 * only from these.
 */
import { z } from "zod";
import { type JsonLimits, type TextRules, textProblem, unknownFieldsProblem } from "../util/safe-json.js";
import { type PlatformTimeFormat, parseLocalParts, platformTimePatterns } from "../util/time.js";

/** What every catalogue field says about itself. */
export interface FieldMeta {
  /** English label, as shown in the n8n editor. */
  title: string;
  /** One sentence in English. */
  description: string;
  /** The platform's own Chinese term. */
  zh: string;
  /** For time strings: which platform format. */
  timeFormat?: PlatformTimeFormat;
  /** For coded values: the codes and their English names. */
  options?: ReadonlyArray<{ value: string | number; name: string; zh: string }>;
  /** An example value. */
  example?: string | number;
}

/** Attaches catalogue metadata; applied last so it sits on the outermost schema (after `.optional()`). */
export function field<T extends z.ZodType>(schema: T, meta: FieldMeta): T {
  return schema.meta(meta as unknown as Record<string, unknown>) as T;
}

/** Reads the metadata `field()` attached, if any. */
export function fieldMeta(schema: z.ZodType): FieldMeta | undefined {
  const own = schema.meta() as unknown as FieldMeta | undefined;
  if (own || !(schema instanceof z.ZodOptional)) return own;
  return fieldMeta(schema.unwrap() as z.ZodType);
}

/**
 * Refuses text with control characters (tab and line breaks where `rules` allow) or unpaired
 * surrogates; later checks of the field do not run (their reason would hide this one).
 */
function acceptableText(rules: TextRules = {}) {
  return (value: string, ctx: z.RefinementCtx) => {
    const problem = textProblem(value, rules);
    if (problem) ctx.addIssue({ code: "custom", message: problem, input: value, continue: false });
  };
}

// ---- plates ---------------------------------------------------------------------------

const PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼";
/**
 * Chinese plates, lenient where real plates vary: province + issuing-office letter + 5
 * characters (7 in all), or 6 for new-energy plates (8 in all); the last may be a suffix (挂
 * trailer, 学 learner, 警 police, 港/澳 cross-border, 领 consulate, 试/超). Embassy plates: 使 +
 * 6 digits. Armed police: WJ…. Emergency: …应急. Military: two letters + 5 digits. Civil
 * aviation (airside vehicles): 民航 + 5. Nothing else: no spaces, no control characters.
 */
export const PLATE_PATTERN = new RegExp(
  `^(?:[${PROVINCES}][A-Z][A-Z0-9]{4,5}[A-Z0-9挂学警港澳领试超]|使\\d{6}|\\d{6}使|WJ[${PROVINCES}]?\\d{4}[A-Z0-9]|[${PROVINCES}][A-Z][A-Z0-9]{4}应急|[A-Z]{2}\\d{5}|民航[A-Z0-9]{5})$`,
);
/** The longest plate any field takes (the longest real one is 9 characters). */
export const PLATE_MAX_LENGTH = 16;

/**
 * The catalogue's plate rule, the one place it is defined: what every plate field accepts, in
 * the operations, the callbacks and the Worker's visitor grants. Exact characters: nothing is
 * trimmed or changed here (a caller that takes typed input normalises it first).
 */
export const plateSchema = z
  .string({ error: "must be a string" })
  .max(PLATE_MAX_LENGTH, { error: `must be at most ${PLATE_MAX_LENGTH} characters`, abort: true })
  .superRefine(acceptableText())
  .regex(PLATE_PATTERN, {
    error:
      "must be a Chinese licence plate: province character, letter and 5 (or 6 for new-energy) letters/digits, e.g. 鲁A12345 or 京AD12345",
  });

/**
 * What lane cameras send for a vehicle whose plate they could not read (无牌车 "vehicle without a
 * plate" and its variants across camera makers). A platform passes the camera's reading on, so a
 * received plate field may hold one of these: the vehicle passed all the same.
 */
export const UNREADABLE_PLATE_MARKERS = [
  "无牌车",
  "无牌",
  "无车牌",
  "无号牌",
  "未识别",
  "未识别车牌",
  "车牌未识别",
  "未知车牌",
  "_无_",
] as const;
const UNREADABLE = new Set<string>(UNREADABLE_PLATE_MARKERS);

/** Whether a received plate is a camera's marker for "no readable plate" (e.g. 无牌车). */
export const isUnreadablePlate = (value: string): boolean => UNREADABLE.has(value);

/** The longest plate a received field takes: room for a misread plate or a camera's marker. */
export const RECEIVED_PLATE_MAX_LENGTH = 32;

/** Whether a received plate is a whole plate of a known shape (PLATE_PATTERN): false for 无牌车 or a misreading. */
export const isRecognisedPlate = (value: string): boolean => PLATE_PATTERN.test(value);

/**
 * The one plate rule of received data: what a platform reports a camera read (the open
 * platform's callbacks, Ebopark's reports). A vehicle is never lost for its plate. A whole plate,
 * a marker of an unreadable plate (无牌车, 未识别…) or a misreading is kept as sent. Only what no
 * camera sends is refused: blank text, more than RECEIVED_PLATE_MAX_LENGTH characters, control
 * characters, unpaired surrogates. Surrounding spaces are trimmed. Readers tell the shapes apart
 * with isRecognisedPlate (the API's `plateRecognised`). What people type (the visitor grants API,
 * the platform operations) keeps the strict plateSchema and plate-input.ts.
 */
export const receivedPlateSchema = z
  .string({ error: "must be a string" })
  .trim()
  .min(1, { error: "must not be empty", abort: true })
  .max(RECEIVED_PLATE_MAX_LENGTH, { error: `must be at most ${RECEIVED_PLATE_MAX_LENGTH} characters`, abort: true })
  .superRefine(acceptableText());

// ---- times ------------------------------------------------------------------------------

const STRICT_TIME: Record<PlatformTimeFormat, RegExp> = {
  date: /^\d{4}-\d{2}-\d{2}$/,
  minute: /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/,
  second: /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/,
};

/** A time string we send: exactly the platform's format, and a real calendar time. */
export function timeString(format: PlatformTimeFormat) {
  return z
    .string({ error: "must be a string" })
    .refine((v) => STRICT_TIME[format].test(v), { error: `must be formatted ${platformTimePatterns[format]}` })
    .refine((v) => parseLocalParts(v) !== undefined, { error: "is not a real calendar date/time" });
}

/** A time string the platform sends: the same, but unpadded parts are accepted (seed quirk). */
export function lenientTimeString() {
  return z.string();
}

// ---- scalars ----------------------------------------------------------------------------

export const nonEmpty = (what = "value") =>
  z
    .string({ error: "must be a string" })
    .trim()
    .min(1, { error: `must not be empty (${what})` });

/** An id the platform answers sometimes as a number, sometimes as a string: kept as a string. */
export const idString = () => z.union([z.string(), z.number().transform(String)]);

export const pageNoSchema = z.coerce
  .number({ error: "must be a number" })
  .int({ error: "must be a whole number" })
  .min(1, { error: "must be 1 or more (pages count from 1)" });

export const MAX_PAGE_SIZE = 1000;
export const pageSizeSchema = z.coerce
  .number({ error: "must be a number" })
  .int({ error: "must be a whole number" })
  .min(1, { error: "must be at least 1" })
  .max(MAX_PAGE_SIZE, { error: `must be at most ${MAX_PAGE_SIZE} (the platform's page limit)` });

// ---- safe values: the rules every catalogue builds on ------------------------------------
// The operations, the callbacks and (later) Ebopark's reports take their values from these, so a
// control character, a count no lot can have or a field nested thousands of levels deep is refused
// the same way everywhere, with the field's name and the reason.

/** The longest text each kind of field takes, in characters: room for every real value, none for abuse. */
export const TEXT_LIMITS = {
  plate: PLATE_MAX_LENGTH,
  /** Ids of lots, records, accounts. */
  id: 64,
  laneNo: 64,
  /** Names of people, lanes, lots. */
  name: 64,
  phone: 32,
  /** Short codes (a vehicle type, a status). */
  code: 16,
  url: 2048,
  /** Free text (a reason, a remark). */
  memo: 500,
} as const;

/** What a catalogue keeps of the fields it does not know: at most this deep, this large (all of an object's together). */
export const UNKNOWN_FIELD_LIMITS: JsonLimits = { depth: 5, chars: 16_384 };

/** Text as a catalogue accepts it: a string of at most `max` characters, no control characters, valid Unicode. */
export function safeText(max: number, rules: TextRules = {}) {
  return z
    .string({ error: "must be a string" })
    .max(max, { error: `must be at most ${max} characters`, abort: true })
    .superRefine(acceptableText(rules));
}

/** The same, sent leniently: a number where the documents say string is taken as its digits. */
export function lenientText(max: number, rules: TextRules = {}) {
  return z.union([z.string(), z.number().transform(String)], { error: "must be a string" }).pipe(safeText(max, rules));
}

/** Lenient text that must not be empty (surrounding spaces are trimmed). */
export function requiredText(max: number) {
  return z
    .union([z.string(), z.number().transform(String)], { error: "must be a string" })
    .pipe(z.string().trim().min(1, { error: "must not be empty" }))
    .pipe(safeText(max));
}

/** A count (spaces, vehicles): a whole number from 0 to 2^53 - 1, sent as a number or as digits. */
export function countSchema() {
  const error = `must be a whole number from 0 to ${Number.MAX_SAFE_INTEGER}`;
  return z.union(
    [
      z.number({ error }).int({ error }).min(0, { error }),
      z
        .string({ error })
        .regex(/^\d{1,15}$/, { error })
        .transform(Number),
    ],
    { error },
  );
}

/**
 * An object that keeps the fields it does not know (the platforms add fields without notice),
 * within UNKNOWN_FIELD_LIMITS and only as acceptable text: the field at fault is named. The check
 * is a transform, not a refinement: the compiled fast path (fast-parse.ts) runs a transform as a
 * closure, where a refinement would hand the whole object to zod.
 */
export function openObject<S extends z.core.$ZodLooseShape>(shape: S, limits: JsonLimits = UNKNOWN_FIELD_LIMITS) {
  const known = new Set(Object.keys(shape));
  return z.looseObject(shape).transform((value, ctx) => {
    const problem = unknownFieldsProblem(value as Record<string, unknown>, known, limits);
    if (problem) ctx.addIssue({ code: "custom", message: problem.reason, path: problem.path, input: value });
    return value;
  });
}

// ---- codes ------------------------------------------------------------------------------

export const vehicleTypeOptions = [
  { value: "1", name: "Monthly (staff / subscriber)", zh: "月租车" },
  { value: "2", name: "Free", zh: "免费车" },
] as const;

export const inParkVehicleTypeOptions = [
  ...vehicleTypeOptions,
  { value: "9", name: "Temporary (pays per visit)", zh: "临时车" },
] as const;

export const couponTypeOptions = [
  { value: 1, name: "Visits (count)", zh: "次券" },
  { value: 2, name: "Hours", zh: "小时券" },
  { value: 3, name: "Money (yuan)", zh: "金额券" },
] as const;

/** Direction of travel, normalised from the two encodings (callback 0/1, records 1/2). */
export const directionSchema = z.enum(["in", "out"]);
export type Direction = z.infer<typeof directionSchema>;

// ---- common fields (declared once, reused by every operation) -------------------------------

export const f = {
  parkingId: field(nonEmpty("parkingId"), {
    title: "Parking Lot ID",
    description: "The platform's id of the parking lot.",
    zh: "车场编号",
    example: "park1",
  }),
  vehicleCode: field(plateSchema, {
    title: "Plate",
    description: "The vehicle's licence plate, exactly as registered.",
    zh: "车牌号",
    example: "鲁A12345",
  }),
  pageNo: field(pageNoSchema, { title: "Page", description: "Page number, from 1.", zh: "页码", example: 1 }),
  pageSize: field(pageSizeSchema, {
    title: "Page Size",
    description: "Items per page, at most 1000.",
    zh: "每页最大1000条",
    example: 100,
  }),
  userName: field(nonEmpty("userName"), {
    title: "Owner Name",
    description: "The vehicle owner's name.",
    zh: "车主姓名",
  }),
  userPhoneNumber: field(nonEmpty("userPhoneNumber"), {
    title: "Owner Phone",
    description: "The vehicle owner's mobile number.",
    zh: "车主手机号",
    example: "13800138000",
  }),
  startDate: field(timeString("date"), {
    title: "Start Date",
    description: "First day of the authorisation (local time, UTC+8).",
    zh: "授权开始时间",
    timeFormat: "date",
    example: "2026-11-22",
  }),
  endDate: field(timeString("date"), {
    title: "End Date",
    description: "Last day of the authorisation, inclusive (local time, UTC+8).",
    zh: "授权结束时间",
    timeFormat: "date",
    example: "2026-11-30",
  }),
  laneNos: field(z.string().regex(/^$|^[^,\s]+(,[^,\s]+)*$/, { error: "must be lane numbers separated by commas" }), {
    title: "Lanes",
    description: "Lanes the vehicle may use, comma-separated; empty for all lanes.",
    zh: "可通行车道",
    example: "1,2",
  }),
  lotNum: field(z.coerce.number().int().min(1), {
    title: "Spaces",
    description: "Number of spaces the owner holds (default 1).",
    zh: "车主总车位数",
    example: 1,
  }),
  remark: field(z.string().max(200), { title: "Remark", description: "Free-text note.", zh: "备注" }),
  workNum: field(z.string(), { title: "Staff Number", description: "The owner's staff number.", zh: "车主工号" }),
  deptName: field(z.string(), { title: "Department", description: "The owner's department.", zh: "车主所在部门" }),
} as const;
