/**
 * Ebopark (宜泊) standard interface v3.0: the calls the seed documents. Only CPGS
 * `findByCarNo` is given in full; the partnerService bodies are from the table of contents
 * and docs/platform-api.md. Every other partner endpoint goes through `callPartner`.
 */
import { z } from "zod";
import { field, timeString } from "../platform/fields.js";

const date = timeString("date");

export const eboparkOperations = {
  findByCarNo: {
    id: "findByCarNo",
    title: "Find Vehicle by Plate (CPGS)",
    zh: "根据车牌获取车辆位置信息",
    description: "Where a vehicle is parked: floor, space number and since when (parking guidance).",
    host: "cpgs",
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
    host: "partner",
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
    host: "partner",
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
    result: z.unknown(),
  },
  QueryMonthCarFeeV2: {
    id: "QueryMonthCarFeeV2",
    title: "Query Monthly Renewal Fee",
    zh: "月租车获取充值费用",
    description: "What renewing a monthly vehicle for a number of periods costs.",
    host: "partner",
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
} as const;

export type EboparkOperationId = keyof typeof eboparkOperations;
export type EboparkPartnerOperationId = Exclude<EboparkOperationId, "findByCarNo">;
export const eboparkPartnerOperationIds = Object.keys(eboparkOperations).filter(
  (id) => id !== "findByCarNo",
) as EboparkPartnerOperationId[];
