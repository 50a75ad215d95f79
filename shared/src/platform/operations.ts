/**
 * The catalogue: every operation of the parking open platform, once. The client, the
 * simulator, the Worker and the n8n nodes are all derived from these definitions; nothing
 * else restates a field list. Operation ids are the public contract (docs/platform-api.md).
 */
import { z } from "zod";
import { normalisePlatformTime } from "../util/time.js";
import {
  couponTypeOptions,
  type Direction,
  f,
  field,
  idString,
  inParkVehicleTypeOptions,
  lenientTimeString,
  nonEmpty,
  timeString,
  vehicleTypeOptions,
} from "./fields.js";

/** The groups operations are presented in (n8n resources). */
export const resources = {
  vehicleAuthorisation: { title: "Vehicle Authorisation", zh: "授权车辆" },
  visitor: { title: "Visitor", zh: "访客" },
  vehiclesInPark: { title: "Vehicles in Park", zh: "在场车辆" },
  accessRecords: { title: "Access Records", zh: "进出记录" },
  parkingLot: { title: "Parking Lot", zh: "车场" },
  lane: { title: "Lane", zh: "车道" },
  blacklist: { title: "Blacklist", zh: "黑名单" },
  coupon: { title: "Coupon", zh: "优惠券" },
  gate: { title: "Gate", zh: "道闸" },
  vehicleType: { title: "Vehicle Type", zh: "车辆类型" },
  auth: { title: "Authentication", zh: "鉴权" },
} as const;
export type ResourceId = keyof typeof resources;

export interface OperationDefinition<
  Id extends string = string,
  Req extends z.ZodObject = z.ZodObject,
  Res extends z.ZodType = z.ZodType,
> {
  id: Id;
  resource: ResourceId;
  /** Short English name, e.g. "Add Vehicle Authorisation". */
  title: string;
  /** The platform's Chinese name. */
  zh: string;
  description: string;
  /** Default path under the base URL; a deployment may override it. */
  path: string;
  /** Reads may be retried on failure; writes never blindly. */
  kind: "read" | "write";
  /** Where the payload sits in the envelope: most answers use `result`, two use `data`. */
  resultKey: "result" | "data";
  /** `pages`: takes pageNo/pageSize and answers {hasMore, data[]}. */
  paging?: "pages";
  /** Platform-side limits the request schema alone cannot carry (enforced by the simulator, split by the client). */
  limits?: { maxRangeHours?: number };
  request: Req;
  result: Res;
}

function defineOperation<const D extends OperationDefinition<string, z.ZodObject, z.ZodType>>(definition: D): D {
  return definition;
}

/** Normalises the paging flag (`has_more` in the tables, `hasMore` in the examples). */
export function pagedResult<T extends z.ZodType>(item: T) {
  return z.preprocess(
    (raw) => {
      if (!raw || typeof raw !== "object" || Array.isArray(raw)) return raw;
      const r = raw as Record<string, unknown>;
      const { has_more, ...rest } = r;
      return { ...rest, hasMore: r.hasMore ?? has_more ?? false, data: r.data ?? [] };
    },
    z.object({ hasMore: z.boolean(), data: z.array(item) }),
  );
}

// Answers are parsed leniently: strings may arrive as numbers, unknown fields are kept.
const str = () => z.union([z.string(), z.number().transform(String)]);
const optStr = () => str().optional();
const int = () => z.coerce.number().int();
const time = () => lenientTimeString().transform(normalisePlatformTime);

const recordsDirection = (code: string): Direction | undefined =>
  code === "1" ? "in" : code === "2" ? "out" : undefined;

// ---- request fields used by more than one operation ------------------------------------

const vehicleTypeForAdd = field(
  z
    .union([z.string(), z.number().transform(String)])
    .pipe(z.string().regex(/^\d+$/, { error: "must be 1 (monthly), 2 (free) or a custom vehicle type id" })),
  {
    title: "Vehicle Type",
    description: "1 monthly, 2 free, or the id of a custom type from List Vehicle Types.",
    zh: "车辆类型",
    options: vehicleTypeOptions,
    example: "2",
  },
);
const vehicleTypeForUpdate = field(z.enum(["1", "2"], { error: "must be 1 (monthly) or 2 (free)" }), {
  title: "Vehicle Type",
  description: "1 monthly or 2 free.",
  zh: "车辆类型",
  options: vehicleTypeOptions,
  example: "1",
});
const diyTypeName = field(z.string(), {
  title: "Custom Type Name",
  description: "Display name for the vehicle type; takes precedence over Vehicle Type.",
  zh: "车辆类型自定义显示名称",
});

const authorisationFields = {
  parkingId: f.parkingId,
  vehicleCode: f.vehicleCode,
  diyTypeName: diyTypeName.optional(),
  userName: f.userName,
  userPhoneNumber: f.userPhoneNumber,
  startTime: f.startDate,
  endTime: f.endDate,
  laneNos: f.laneNos.optional(),
  lotNum: f.lotNum.optional(),
  remark: f.remark.optional(),
  workNum: f.workNum.optional(),
  deptName: f.deptName.optional(),
};

const endNotBeforeStart = (v: { startTime?: string; endTime?: string }) =>
  !v.startTime || !v.endTime || v.endTime >= v.startTime;
const endNotBeforeStartError = { error: "must not be before startTime", path: ["endTime"] };

const optionalParkingId = f.parkingId.optional().meta({
  ...f.parkingId.meta(),
  description: "The platform's id of the parking lot (required when the account has several lots).",
});

const vehicleAuthorisationItem = z.looseObject({
  vehicleCode: str(),
  vehicleType: str(),
  userName: optStr(),
  workNo: optStr(),
  userPhoneNumber: optStr(),
  startTime: time().optional(),
  endTime: time().optional(),
  laneNos: optStr(),
  lotNum: int().optional(),
  remark: optStr(),
});

export const operations = {
  getAccessToken: defineOperation({
    id: "getAccessToken",
    resource: "auth",
    title: "Get Access Token",
    zh: "获取AccessToken (接口1)",
    description:
      "Obtains the AccessToken every other call carries. Not in the seed document: the request and answer are parkbridge's documented assumption.",
    path: "/getAccessToken",
    kind: "read",
    resultKey: "result",
    request: z.strictObject({
      appKey: field(nonEmpty("appKey"), { title: "App Key", description: "Issued by the platform.", zh: "平台分配" }),
      timestamp: field(z.union([z.number().int(), z.string().regex(/^\d+$/)]), {
        title: "Timestamp",
        description: "Current time, Unix milliseconds.",
        zh: "当前时间,Unix毫秒时间戳",
      }),
      sign: field(z.string().regex(/^[0-9a-f]{32}$/, { error: "must be 32 lowercase hex characters" }), {
        title: "Signature",
        description: "md5(appKey + timestamp + appSecret), lowercase hex.",
        zh: "MD5-32(appKey+timestamp+appSecret),32小写",
      }),
    }),
    result: z.looseObject({ accessToken: z.string().min(1), expiresIn: int().positive() }),
  }),

  addVehicle: defineOperation({
    id: "addVehicle",
    resource: "vehicleAuthorisation",
    title: "Add Vehicle Authorisation",
    zh: "新增授权车辆",
    description: "Authorises a vehicle (monthly, free or a custom type) for a range of days.",
    path: "/addVehicle",
    kind: "write",
    resultKey: "result",
    request: z
      .strictObject({ ...authorisationFields, vehicleType: vehicleTypeForAdd })
      .refine(endNotBeforeStart, endNotBeforeStartError),
    result: z.unknown(),
  }),

  updateVehicle: defineOperation({
    id: "updateVehicle",
    resource: "vehicleAuthorisation",
    title: "Update Vehicle Authorisation",
    zh: "修改授权车辆",
    description: "Changes an existing authorisation (type, owner, dates, lanes).",
    path: "/updateVehicle",
    kind: "write",
    resultKey: "result",
    request: z
      .strictObject({ ...authorisationFields, vehicleType: vehicleTypeForUpdate })
      .refine(endNotBeforeStart, endNotBeforeStartError),
    result: z.unknown(),
  }),

  deleteVehicle: defineOperation({
    id: "deleteVehicle",
    resource: "vehicleAuthorisation",
    title: "Delete Vehicle Authorisation",
    zh: "删除授权车辆",
    description: "Revokes a vehicle's authorisation.",
    path: "/deleteVehicle",
    kind: "write",
    resultKey: "result",
    request: z.strictObject({ parkingId: f.parkingId, vehicleCode: f.vehicleCode }),
    result: z.unknown(),
  }),

  listVehicles: defineOperation({
    id: "listVehicles",
    resource: "vehicleAuthorisation",
    title: "List Vehicle Authorisations",
    zh: "查询授权车辆",
    description: "Lists the authorised vehicles of a lot, page by page.",
    path: "/listVehicles",
    kind: "read",
    resultKey: "result",
    paging: "pages",
    request: z.strictObject({ parkingId: f.parkingId, pageNo: f.pageNo, pageSize: f.pageSize }),
    result: pagedResult(vehicleAuthorisationItem),
  }),

  listInParkVehicles: defineOperation({
    id: "listInParkVehicles",
    resource: "vehiclesInPark",
    title: "List Vehicles in Park",
    zh: "查询在场车辆",
    description: "Lists the vehicles inside the lot now, with their entry time.",
    path: "/listInParkVehicles",
    kind: "read",
    resultKey: "result",
    paging: "pages",
    request: z.strictObject({ parkingId: optionalParkingId, pageNo: f.pageNo, pageSize: f.pageSize }),
    result: pagedResult(
      z.looseObject({
        laneNo: optStr(),
        vehicleCode: str(),
        vehicleType: str().meta({ options: inParkVehicleTypeOptions }),
        intime: time(),
      }),
    ),
  }),

  getVisitor: defineOperation({
    id: "getVisitor",
    resource: "visitor",
    title: "Get Visitor Booking",
    zh: "查询访客信息",
    description: "Looks up the visitor booking of a plate.",
    path: "/getVisitor",
    kind: "read",
    resultKey: "result",
    request: z.strictObject({
      parkingId: optionalParkingId,
      vehicleCode: f.vehicleCode,
      time: field(timeString("second"), {
        title: "Recognition Time",
        description: "When the camera read the plate (local time, UTC+8).",
        zh: "车牌识别时间",
        timeFormat: "second",
      }).optional(),
    }),
    result: z.looseObject({
      parkingId: str(),
      vehicleCode: str(),
      userName: optStr(),
      userPhoneNumber: optStr(),
      startTime: time().optional(),
      endTime: time().optional(),
      memo: optStr(),
      otherInfo: z.record(z.string(), z.unknown()).optional(),
    }),
  }),

  getLotStats: defineOperation({
    id: "getLotStats",
    resource: "parkingLot",
    title: "Get Space Counts",
    zh: "查询车位数",
    description: "Space counts of a lot: total, used, visitors, staff (monthly) and temporary.",
    path: "/getLotStats",
    kind: "read",
    resultKey: "data",
    request: z.strictObject({ parkingId: optionalParkingId }),
    result: z.looseObject({
      totalLot: int(),
      usedLot: int(),
      visitorUsedLot: int().optional(),
      // Spelled as in the platform's document (moth = monthly = internal staff).
      mothTotalLot: int().optional(),
      mothUsedLot: int().optional(),
      tempLot: int().optional(),
    }),
  }),

  listLanes: defineOperation({
    id: "listLanes",
    resource: "lane",
    title: "List Lanes",
    zh: "查询车道",
    description: "Lists the lanes (entry and exit) of a lot.",
    path: "/listLanes",
    kind: "read",
    resultKey: "data",
    request: z.strictObject({ parkingId: optionalParkingId }),
    result: z.array(z.looseObject({ laneNo: str(), laneName: optStr() })),
  }),

  addBlacklist: defineOperation({
    id: "addBlacklist",
    resource: "blacklist",
    title: "Add to Blacklist",
    zh: "新增黑名单",
    description: "Bars a vehicle from the lot until a date.",
    path: "/addBlacklist",
    kind: "write",
    resultKey: "result",
    request: z.strictObject({
      parkingId: f.parkingId,
      vehicleCode: f.vehicleCode,
      stopTime: field(timeString("date"), {
        title: "Barred Until",
        description: "Last day the vehicle is barred (local time, UTC+8).",
        zh: "截止时间",
        timeFormat: "date",
      }),
    }),
    result: z.unknown(),
  }),

  deleteBlacklist: defineOperation({
    id: "deleteBlacklist",
    resource: "blacklist",
    title: "Remove from Blacklist",
    zh: "删除黑名单",
    description: "Lifts a vehicle's bar.",
    path: "/deleteBlacklist",
    kind: "write",
    resultKey: "result",
    request: z.strictObject({ parkingId: f.parkingId, vehicleCode: f.vehicleCode }),
    result: z.unknown(),
  }),

  listBlacklist: defineOperation({
    id: "listBlacklist",
    resource: "blacklist",
    title: "List Blacklist",
    zh: "查询黑名单",
    description: "Lists the barred vehicles, page by page.",
    path: "/listBlacklist",
    kind: "read",
    resultKey: "result",
    paging: "pages",
    request: z.strictObject({ parkingId: optionalParkingId, pageNo: f.pageNo, pageSize: f.pageSize }),
    result: pagedResult(z.looseObject({ vehicleCode: str(), stopTime: time() })),
  }),

  listParkingLots: defineOperation({
    id: "listParkingLots",
    resource: "parkingLot",
    title: "List Parking Lots",
    zh: "查询车场列表",
    description: "Lists the parking lots of this account.",
    path: "/listParkingLots",
    kind: "read",
    resultKey: "result",
    request: z.strictObject({}),
    result: z.array(z.looseObject({ value: str(), text: str() })),
  }),

  listAccessRecords: defineOperation({
    id: "listAccessRecords",
    resource: "accessRecords",
    title: "List Access Records",
    zh: "查询进出记录",
    description:
      "Entry and exit history of a lot. The platform allows 24 hours per query; longer ranges are split into consecutive windows by the client.",
    path: "/listAccessRecords",
    kind: "read",
    resultKey: "result",
    paging: "pages",
    limits: { maxRangeHours: 24 },
    request: z
      .strictObject({
        parkingId: f.parkingId,
        pageNo: f.pageNo,
        pageSize: f.pageSize,
        startTime: field(timeString("second"), {
          title: "From",
          description: "Start of the range (local time, UTC+8).",
          zh: "开始时间",
          timeFormat: "second",
        }),
        endTime: field(timeString("second"), {
          title: "To",
          description: "End of the range (local time, UTC+8).",
          zh: "结束时间",
          timeFormat: "second",
        }),
      })
      .refine(endNotBeforeStart, endNotBeforeStartError),
    result: pagedResult(
      z
        .looseObject({
          recordId: idString(),
          vehicleCode: str(),
          vehicleType: optStr(),
          accessType: str(),
          time: time(),
          laneNo: optStr(),
          laneName: optStr(),
          photo: optStr(),
          parkingId: optStr(),
          userName: optStr(),
          workNo: optStr(),
          phoneNum: optStr(),
        })
        .transform((r) => ({ ...r, direction: recordsDirection(r.accessType) })),
    ),
  }),

  listVehicleTypes: defineOperation({
    id: "listVehicleTypes",
    resource: "vehicleType",
    title: "List Vehicle Types",
    zh: "查询自定义车辆类型 (接口4.13)",
    description: "Lists the lot's custom vehicle types; their ids can be used as Vehicle Type when authorising.",
    path: "/listVehicleTypes",
    kind: "read",
    resultKey: "result",
    request: z.strictObject({ parkingId: f.parkingId }),
    result: pagedResult(
      z.looseObject({ recordId: idString(), vehicleTypeCode: str(), vehicleTypeName: str(), showName: optStr() }),
    ),
  }),

  issueCoupon: defineOperation({
    id: "issueCoupon",
    resource: "coupon",
    title: "Issue Coupon",
    zh: "发放优惠券",
    description: "Gives a vehicle a discount coupon (visits, hours or money).",
    path: "/issueCoupon",
    kind: "write",
    resultKey: "result",
    request: z.strictObject({
      parkingId: f.parkingId,
      vehicleCode: f.vehicleCode,
      couponType: field(
        z.coerce.number({ error: "must be a number" }).pipe(
          z.union([z.literal(1), z.literal(2), z.literal(3)], {
            error: "must be 1 (visits), 2 (hours) or 3 (money)",
          }),
        ),
        {
          title: "Coupon Type",
          description: "What the coupon discounts.",
          zh: "优惠券类型",
          options: couponTypeOptions,
        },
      ),
      discount: field(
        z.coerce.number({ error: "must be a number" }).int({ error: "must be a whole number" }).positive(),
        {
          title: "Value",
          description: "Visits, hours or yuan, depending on the coupon type.",
          zh: "优惠券面值",
          example: 2,
        },
      ),
      expireTime: field(timeString("minute"), {
        title: "Expires",
        description: "When the coupon expires (local time, UTC+8); empty for never.",
        zh: "到期时间",
        timeFormat: "minute",
      }).optional(),
    }),
    result: z.unknown(),
  }),

  authorizeOuting: defineOperation({
    id: "authorizeOuting",
    resource: "vehiclesInPark",
    title: "Authorise Outing",
    zh: "外出授权",
    description: "Lets a vehicle in the park go out and come back within a window.",
    path: "/authorizeOuting",
    kind: "write",
    resultKey: "result",
    request: z
      .strictObject({
        parkingId: f.parkingId,
        vehicleCode: f.vehicleCode,
        startTime: field(timeString("minute"), {
          title: "Out From",
          description: "Start of the outing window (local time, UTC+8).",
          zh: "外出开始时间",
          timeFormat: "minute",
        }),
        endTime: field(timeString("minute"), {
          title: "Back By",
          description: "End of the outing window (local time, UTC+8).",
          zh: "外出结束时间",
          timeFormat: "minute",
        }),
      })
      .refine(endNotBeforeStart, endNotBeforeStartError),
    result: z.unknown(),
  }),

  openGate: defineOperation({
    id: "openGate",
    resource: "gate",
    title: "Open Gate",
    zh: "开闸",
    description: "Opens a lane's barrier.",
    path: "/openGate",
    kind: "write",
    resultKey: "result",
    request: z.strictObject({
      laneId: field(nonEmpty("laneId"), {
        title: "Lane ID",
        description: "The lane whose barrier opens.",
        zh: "车道id",
      }),
    }),
    result: z.unknown(),
  }),
} as const;

export type Operations = typeof operations;
export type OperationId = keyof Operations;
/** Every operation but the token one: the calls a user makes. */
export type CallableOperationId = Exclude<OperationId, "getAccessToken">;
export type OperationInput<K extends OperationId> = z.input<Operations[K]["request"]>;
export type OperationRequest<K extends OperationId> = z.output<Operations[K]["request"]>;
export type OperationResult<K extends OperationId> = z.output<Operations[K]["result"]>;
export type PagedOperationId = {
  [K in OperationId]: Operations[K] extends { paging: "pages" } ? K : never;
}[OperationId];
export type PagedItem<K extends PagedOperationId> = OperationResult<K> extends { data: Array<infer T> } ? T : never;

export const operationIds = Object.keys(operations) as OperationId[];
export const pagedOperationIds = operationIds.filter(
  (id) => (operations[id] as OperationDefinition).paging === "pages",
) as PagedOperationId[];
export const defaultPaths: Record<OperationId, string> = Object.fromEntries(
  operationIds.map((id) => [id, operations[id].path]),
) as Record<OperationId, string>;
