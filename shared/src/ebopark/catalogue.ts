/**
 * Ebopark (宜泊) standard interface v3.0: the calls the seed documents. Only CPGS
 * `findByCarNo` is given in full; the partnerService bodies are from the table of contents
 * and docs/platform-api.md, `QueryMonthRule` and `carParkSession` from Ebopark's published
 * pages. Every other partner endpoint goes through `callPartner`.
 *
 * Body keys keep each endpoint's own casing (`ParkCode` here, `parkCode` there): the sign
 * covers the exact string sent. Answers are parsed leniently: unknown fields are kept.
 */
import { z } from "zod";
import { field, idString, timeString } from "../platform/fields.js";

const date = timeString("date");

/** Where an Ebopark call goes: its CPGS host, its partnerService host, or its ump host. */
export type EboparkHost = "cpgs" | "partner" | "ump";

const parkCode = (zh = "车场编码") =>
  field(z.string().trim().min(1, { error: "must not be empty" }), {
    title: "Park Code",
    description: "Ebopark's code of the lot.",
    zh,
    example: "510107148",
  });

// Answers: numbers where Ebopark may send strings, and the reverse, accepted.
const answerAmount = z.union([z.number(), z.string().transform(Number)]).nullish();
const answerText = z.union([z.string(), z.number().transform(String)]).nullish();

/** One month rule (月租费率) of a lot. */
const monthRule = z.looseObject({
  ruleId: idString(),
  ruleName: answerText,
  chargeType: field(answerText, {
    title: "Charge Type",
    description: "MONTH (monthly) or FIX (fixed space).",
    zh: "收费类型",
    options: [
      { value: "MONTH", name: "Monthly", zh: "月租" },
      { value: "FIX", name: "Fixed Space", zh: "固定车位" },
    ],
  }),
  amount1: answerAmount,
  amount3: answerAmount,
  amount6: answerAmount,
  amount12: answerAmount,
});

/**
 * One parking session (停车明细) as carParkSession answers it: about 41 keys, of which these are
 * seen in Ebopark's published example; the rest are kept as received.
 */
export const carParkSessionRecord = z.looseObject({
  entryChannelId: answerText,
  miscAmount: answerAmount,
  isNewEnergy: z.union([z.number(), z.string(), z.boolean()]).nullish(),
  freeReason: answerText,
  entryNotes: answerText,
  companyName: answerText,
  chargeType: answerText,
  operatorName: answerText,
  plateColor: answerText,
  entryPlateImage: answerText,
  exitPlateImage: answerText,
  carColor: answerText,
  couponAmount: answerAmount,
});

export const eboparkOperations = {
  findByCarNo: {
    id: "findByCarNo",
    title: "Find Vehicle by Plate (CPGS)",
    zh: "根据车牌获取车辆位置信息",
    description: "Where a vehicle is parked: floor, space number and since when (parking guidance).",
    host: "cpgs" as EboparkHost,
    path: "/partner/findByCarNo",
    request: z.strictObject({
      carNo: field(
        z
          .string()
          .trim()
          .min(3, { error: "must have at least 3 characters" })
          .max(10, { error: "must have at most 10 characters" }),
        {
          title: "Plate",
          description: "The plate, 3 to 10 characters (a partial plate is allowed).",
          zh: "车牌号",
          example: "川A11NW5",
        },
      ),
      parkCode: field(z.string().trim().min(1, { error: "must not be empty" }), {
        title: "Park Code",
        description: "Ebopark's code of the parking lot.",
        zh: "停车场编码",
        example: "1234",
      }),
    }),
    result: z.looseObject({
      areaCode: z.string().optional(),
      code: z.string().optional(),
      areaName: z.string().optional(),
      carNo: z.string(),
      carImage: z.string().optional(),
      stopTime: z.string().optional(),
    }),
  },
  AddMonthCarV2: {
    id: "AddMonthCarV2",
    title: "Add Monthly Vehicle",
    zh: "月租新增",
    description: "Adds monthly (subscription) vehicles to a lot.",
    host: "partner" as EboparkHost,
    path: "/partnerService/AddMonthCarV2",
    // Mixed key casing is the platform's own.
    request: z.looseObject({
      ParkCode: field(z.string().min(1), {
        title: "Park Code",
        description: "Ebopark's code of the lot.",
        zh: "车场编码",
      }),
      CarNos: field(z.array(z.string().min(1)).min(1, { error: "must list at least one plate" }), {
        title: "Plates",
        description: "Plates covered by this subscription.",
        zh: "车牌号列表",
      }),
      UserName: field(z.string().min(1), { title: "Owner Name", description: "The subscriber.", zh: "车主姓名" }),
      userMobile: field(z.string().min(1), {
        title: "Owner Mobile",
        description: "The subscriber's phone.",
        zh: "手机号",
      }),
      lotDesc: field(
        z
          .array(
            z.looseObject({
              lotNo: z.string().optional(),
              chargeType: z.union([z.string(), z.number()]).optional(),
              startTime: date,
              endTime: date,
              monthRuleId: z.union([z.string(), z.number()]).optional(),
              fixRuleId: z.union([z.string(), z.number()]).optional(),
            }),
          )
          .min(1),
        { title: "Spaces", description: "The spaces and their periods.", zh: "车位信息" },
      ),
      garageNames: field(z.string().optional(), { title: "Garages", description: "Garage names.", zh: "车库名称" }),
    }),
    result: z.unknown(),
  },
  QueryDeduList: {
    id: "QueryDeduList",
    title: "Query Deduction Coupons",
    zh: "查询抵扣券列表",
    description: "Lists deduction coupons sent to a vehicle.",
    host: "partner" as EboparkHost,
    path: "/partnerService/QueryDeduList",
    request: z.looseObject({
      carNo: field(z.string().optional(), { title: "Plate", description: "Filter by plate.", zh: "车牌号" }),
      parkCode: field(z.string().min(1), {
        title: "Park Code",
        description: "Ebopark's code of the lot.",
        zh: "车场编码",
      }),
      page: field(z.coerce.number().int().min(1), { title: "Page", description: "From 1.", zh: "页码" }),
      pageSize: field(z.coerce.number().int().min(1), {
        title: "Page Size",
        description: "Items per page.",
        zh: "每页条数",
      }),
      sendStartTime: field(z.string().optional(), {
        title: "Sent From",
        description: "Start of the sending range.",
        zh: "发送开始时间",
      }),
      sendEndTime: field(z.string().optional(), {
        title: "Sent To",
        description: "End of the sending range.",
        zh: "发送结束时间",
      }),
      status: field(
        z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(4), z.literal(5), z.literal(9)]).optional(),
        {
          title: "Status",
          description: "Coupon status.",
          zh: "状态",
          options: [
            { value: 0, name: "Unused", zh: "未使用" },
            { value: 1, name: "Used", zh: "已使用" },
            { value: 2, name: "To Claim", zh: "待领取" },
            { value: 4, name: "Expired", zh: "已过期" },
            { value: 5, name: "Cancelled", zh: "已作废" },
            { value: 9, name: "Recovered", zh: "已回收" },
          ],
        },
      ),
    }),
    // {state, total, result: {total, records: [...]}, desc}: the payload is `result`.
    result: z.looseObject({
      total: z.union([z.number(), z.string().transform(Number)]).nullish(),
      records: z
        .array(z.looseObject({}))
        .nullish()
        .transform((records) => records ?? []),
    }),
  },
  QueryMonthCarFeeV2: {
    id: "QueryMonthCarFeeV2",
    title: "Query Monthly Renewal Fee",
    zh: "月租车获取充值费用",
    description: "What renewing a monthly vehicle for a number of periods costs.",
    host: "partner" as EboparkHost,
    path: "/partnerService/QueryMonthCarFeeV2",
    request: z.looseObject({
      parkCode: field(z.string().min(1), {
        title: "Park Code",
        description: "Ebopark's code of the lot.",
        zh: "车场编码",
      }),
      carNo: field(z.string().min(1), { title: "Plate", description: "The monthly vehicle.", zh: "车牌号" }),
      count: field(z.coerce.number().int().min(1), {
        title: "Periods",
        description: "How many periods to renew.",
        zh: "充值数量",
      }),
    }),
    result: z.unknown(),
  },
  QueryMonthRule: {
    id: "QueryMonthRule",
    title: "List Month Rules",
    zh: "月租费率按车场查询",
    description: "The monthly rates of a lot; a rule's ruleId is what AddMonthCarV2 takes as monthRuleId or fixRuleId.",
    host: "partner" as EboparkHost,
    path: "/partnerService/QueryMonthRule",
    // This endpoint's key is `ParkCode`, capitalised.
    request: z.looseObject({ ParkCode: parkCode() }),
    // {state, total, result: [rule…]}: the payload is the list.
    result: z
      .array(monthRule)
      .nullish()
      .transform((rules) => rules ?? []),
  },
  carParkSession: {
    id: "carParkSession",
    title: "List Parking Sessions",
    zh: "停车明细查询",
    description:
      "Every parking session of a lot with an entry or exit in a time range: the way to catch up on missed reports.",
    host: "ump" as EboparkHost,
    path: "/ebo/park/query/carParkSession",
    request: z
      .looseObject({
        parkCode: parkCode(),
        startTime: field(timeString("second"), {
          title: "Start Time",
          description: "Start of the range (local time, UTC+8).",
          zh: "查询开始时间",
          timeFormat: "second",
          example: "2025-06-26 10:00:00",
        }),
        endTime: field(timeString("second"), {
          title: "End Time",
          description: "End of the range (local time, UTC+8).",
          zh: "查询结束时间",
          timeFormat: "second",
          example: "2025-06-27 00:00:00",
        }),
      })
      .refine((v) => v.endTime >= v.startTime, { error: "must not be before startTime", path: ["endTime"] }),
    // {code: 200, msg, result: {carParkSessionList: [...]}}: the payload is `result`.
    result: z.looseObject({
      carParkSessionList: z
        .array(carParkSessionRecord)
        .nullish()
        .transform((list) => list ?? []),
    }),
  },
} as const;

export type EboparkOperationId = keyof typeof eboparkOperations;
/** The calls signed partnerService-style (`partnerid` and `sign` in the query): every one but CPGS. */
export type EboparkPartnerOperationId = Exclude<EboparkOperationId, "findByCarNo">;
export const eboparkPartnerOperationIds = (Object.keys(eboparkOperations) as EboparkOperationId[]).filter(
  (id) => eboparkOperations[id].host !== "cpgs",
) as EboparkPartnerOperationId[];
