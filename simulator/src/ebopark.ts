/**
 * Ebopark (宜泊)'s calls: CPGS findByCarNo, the partnerService calls (answering
 * `{state, desc, data|result}`), and carParkSession on the ump path (answering
 * `{code: 200, msg, result}`). Signatures are verified: sign = md5(exact body string + secretKey)
 * for partnerService and carParkSession, shared's default (unconfirmed) signer for CPGS.
 *
 * A parkCode names one of the simulator's Ebopark lots (ebopark-state.ts). For the calls that
 * predate them (findByCarNo, AddMonthCarV2, QueryDeduList, QueryMonthCarFeeV2), a parkCode may
 * also name an open-platform lot (park1…), acting on its authorisations and coupons.
 */
import {
  defaultCpgsSigner,
  eboparkOperations,
  formatPlatformTime,
  md5Hex,
  type OperationRequest,
  parsePlatformTime,
  signPartnerBody,
  timingSafeEqual,
  toFieldIssues,
  toPlatformMessage,
  ValidationError,
  validateRequest,
} from "@parkbridge/shared";
import type { EboparkLot, EboparkSession } from "./ebopark-model.js";
import type { EboparkState } from "./ebopark-state.js";
import type { CatalogueSchema, EboparkRequest } from "./schemas.js";
import type { SimulatorState } from "./state.js";

export interface EboparkOptions {
  partnerId: string;
  secretKey: string;
  appKey: string;
}

/** What the Ebopark handlers work on. */
export interface EboparkContext {
  options: EboparkOptions;
  /** Ebopark's own lots. */
  lots: EboparkState;
  /** The open platform's lots (the older calls accept their parkingIds). */
  state: SimulatorState;
}

export interface EboparkAnswer {
  /** 0 success, else the refusal's code (as `state` in the envelope, or the ump answer's `code`). */
  state: number;
  json: unknown;
}

const refuse = (desc: string): EboparkAnswer => ({ state: 1, json: { state: 1, desc, data: null } });
const succeed = (data: unknown): EboparkAnswer => ({ state: 0, json: { state: 0, desc: "成功", data } });
/** The answer shape of QueryMonthRule and QueryDeduList: `{state, total, result, desc}`. */
const succeedWithTotal = (total: number, result: unknown): EboparkAnswer => ({
  state: 0,
  json: { state: 0, total, result, desc: "成功" },
});

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const json = JSON.parse(text);
    return json && typeof json === "object" && !Array.isArray(json) ? json : undefined;
  } catch {
    return undefined;
  }
}

/** Checks a body against the catalogue; the refusal's desc is the platform-style Chinese message. */
function validate(
  id: keyof typeof eboparkOperations,
  input: unknown,
): { ok: true; data: Record<string, unknown> } | { ok: false; desc: string } {
  // Cast through unknown: comparing the catalogue's concrete schemas with ZodObject is costly for tsc.
  const schema = eboparkOperations[id].request as unknown as CatalogueSchema;
  const parsed = schema.safeParse(input);
  if (parsed.success) return { ok: true, data: parsed.data as Record<string, unknown> };
  return { ok: false, desc: toPlatformMessage(toFieldIssues(parsed.error, schema, input)) };
}

/** The sign of a partnerService or ump call: over the raw body string, checked before parsing. */
function signedByPartner(options: EboparkOptions, query: URLSearchParams, bodyText: string): string | undefined {
  if (query.get("partnerid") !== options.partnerId) return "合作方不存在(partnerid)";
  const sign = query.get("sign") ?? "";
  if (!timingSafeEqual(signPartnerBody(bodyText, options.secretKey), sign.toLowerCase())) return "签名错误";
  return undefined;
}

/** POST /partner/findByCarNo: the vehicle's floor, space and arrival; the record itself on success. */
export function findByCarNo(context: EboparkContext, bodyText: string): EboparkAnswer {
  const { options } = context;
  const body = parseObject(bodyText);
  if (!body) return refuse("请求体不是有效的JSON");
  if (body.appKey !== options.appKey) return refuse("appKey无效");
  const { appKey, sign, ...rest } = body;
  const checked = validate("findByCarNo", rest);
  if (!checked.ok) return refuse(checked.desc);
  const fields = { appKey: String(appKey), carNo: String(checked.data.carNo), parkCode: String(checked.data.parkCode) };
  if (typeof sign !== "string" || !timingSafeEqual(defaultCpgsSigner(fields, options.secretKey), sign.toLowerCase())) {
    return refuse("签名错误");
  }
  const vehicle = parkedVehicle(context, fields.parkCode, fields.carNo);
  if (vehicle === "no lot") return refuse(`车场不存在:${fields.parkCode}`);
  if (!vehicle) return refuse(`未找到车辆:${fields.carNo}`);
  // Floor and space follow from the plate, so a vehicle stays where it parked.
  const hash = Number.parseInt(md5Hex(vehicle.plate).slice(0, 6), 16);
  const floor = (hash % 2) + 1;
  return {
    state: 0,
    json: {
      areaCode: `B${floor}`,
      code: `B${floor}-${String((hash >> 1) % 200).padStart(3, "0")}`,
      areaName: floor === 1 ? "地下一层" : "地下二层",
      carNo: vehicle.plate,
      carImage: vehicle.image,
      stopTime: `${formatPlatformTime(vehicle.enteredAt, "second").replace(" ", "T")}+08:00`,
    },
  };
}

/** A (partial, 3 to 10 characters) plate matches the first vehicle inside whose plate contains it. */
function parkedVehicle(context: EboparkContext, parkCode: string, carNo: string) {
  const eboLot = context.lots.lot(parkCode);
  if (eboLot) {
    const session = [...eboLot.inPark.values()].find((s) => s.plateNumber.includes(carNo));
    return session && { plate: session.plateNumber, enteredAt: session.enteredAt, image: session.entryPlateImage };
  }
  const lot = context.state.lot(parkCode);
  if (!lot) return "no lot";
  const vehicle = [...lot.inPark.values()].find((v) => v.vehicleCode.includes(carNo));
  return (
    vehicle && {
      plate: vehicle.vehicleCode,
      enteredAt: vehicle.enteredAt,
      image: `http://127.0.0.1/simulator/cpgs/${lot.parkingId}/${encodeURIComponent(vehicle.vehicleCode)}.jpg`,
    }
  );
}

/** POST /partnerService/<name>?partnerid=&sign= */
export function partnerService(
  context: EboparkContext,
  name: string,
  query: URLSearchParams,
  bodyText: string,
): EboparkAnswer {
  // The signature covers the exact bytes sent, so it is checked before parsing.
  const unsigned = signedByPartner(context.options, query, bodyText);
  if (unsigned) return refuse(unsigned);
  const body = parseObject(bodyText);
  if (!body) return refuse("请求体不是有效的JSON");
  switch (name) {
    case "AddMonthCarV2":
      return addMonthCar(context, body);
    case "QueryMonthRule":
      return queryMonthRule(context, body);
    case "QueryDeduList":
      return queryDeduList(context, body);
    case "QueryMonthCarFeeV2":
      return queryMonthCarFee(context, body);
    default:
      // The other ~60 endpoints of the table of contents are not documented: a signed call succeeds.
      return succeed(null);
  }
}

function addMonthCar(context: EboparkContext, body: Record<string, unknown>): EboparkAnswer {
  const checked = validate("AddMonthCarV2", body);
  if (!checked.ok) return refuse(checked.desc);
  const request = checked.data as EboparkRequest<"AddMonthCarV2">;
  const period = request.lotDesc[0];
  const eboLot = context.lots.lot(request.ParkCode);
  if (eboLot) {
    // A period names its rate by monthRuleId (monthly) or fixRuleId (fixed space): one QueryMonthRule lists.
    const ruleId = String(period?.fixRuleId || period?.monthRuleId || eboLot.monthRules[0]?.ruleId || "");
    const rule = eboLot.monthRules.find((r) => String(r.ruleId) === ruleId);
    if (!rule) return refuse(`月租规则不存在:${ruleId}`);
    for (const plateNumber of request.CarNos) {
      context.lots.putMonthCar(eboLot.parkCode, {
        plateNumber,
        userName: request.UserName,
        userMobile: request.userMobile,
        ruleId: rule.ruleId,
        chargeType: rule.chargeType,
        startTime: period?.startTime ?? "",
        endTime: period?.endTime ?? "",
        lotNo: period?.lotNo ?? "",
      });
    }
    return succeed(null);
  }
  const lot = context.state.lot(request.ParkCode);
  if (!lot) return refuse(`车场不存在:${request.ParkCode}`);
  // Each plate becomes a monthly authorisation, checked as addVehicle would check it.
  const authorisations: OperationRequest<"addVehicle">[] = [];
  for (const carNo of request.CarNos) {
    const input = {
      parkingId: lot.parkingId,
      vehicleCode: carNo,
      vehicleType: "1",
      userName: request.UserName,
      userPhoneNumber: request.userMobile,
      startTime: period?.startTime,
      endTime: period?.endTime,
      remark: request.garageNames ?? "",
    };
    try {
      authorisations.push(validateRequest("addVehicle", input as never));
    } catch (error) {
      if (error instanceof ValidationError) return refuse(toPlatformMessage(error.issues));
      throw error;
    }
  }
  for (const authorisation of authorisations) context.state.putAuthorisation(authorisation);
  return succeed(null);
}

function queryMonthRule(context: EboparkContext, body: Record<string, unknown>): EboparkAnswer {
  const checked = validate("QueryMonthRule", body);
  if (!checked.ok) return refuse(checked.desc);
  const { ParkCode } = checked.data as EboparkRequest<"QueryMonthRule">;
  const lot = context.lots.lot(ParkCode);
  if (!lot) return refuse(`车场不存在:${ParkCode}`);
  return succeedWithTotal(lot.monthRules.length, lot.monthRules);
}

function queryDeduList(context: EboparkContext, body: Record<string, unknown>): EboparkAnswer {
  const checked = validate("QueryDeduList", body);
  if (!checked.ok) return refuse(checked.desc);
  const request = checked.data as EboparkRequest<"QueryDeduList">;
  const eboLot = context.lots.lot(request.parkCode);
  let records: Array<Record<string, unknown> & { carNo: string; status: number; sendTime: string }>;
  if (eboLot) {
    records = eboLot.deductions.map((d) => ({ ...d }));
  } else {
    const lot = context.state.lot(request.parkCode);
    if (!lot) return refuse(`车场不存在:${request.parkCode}`);
    records = lot.coupons.map((c) => ({
      deduId: String(c.couponId),
      carNo: c.vehicleCode,
      deduType: c.couponType,
      deduValue: c.discount,
      status: 0,
      sendTime: c.issuedAt,
      expireTime: c.expireTime ?? "",
    }));
  }
  const matching = records.filter(
    (r) =>
      (!request.carNo || r.carNo === request.carNo) &&
      (request.status === undefined || r.status === request.status) &&
      (!request.sendStartTime || r.sendTime >= request.sendStartTime) &&
      (!request.sendEndTime || r.sendTime <= request.sendEndTime),
  );
  const start = (request.page - 1) * request.pageSize;
  const page = matching.slice(start, start + request.pageSize);
  return succeedWithTotal(matching.length, { total: matching.length, records: page });
}

function queryMonthCarFee(context: EboparkContext, body: Record<string, unknown>): EboparkAnswer {
  const checked = validate("QueryMonthCarFeeV2", body);
  if (!checked.ok) return refuse(checked.desc);
  const request = checked.data as EboparkRequest<"QueryMonthCarFeeV2">;
  const eboLot = context.lots.lot(request.parkCode);
  if (eboLot) {
    const car = eboLot.monthCars.get(request.carNo);
    const rule = car && eboLot.monthRules.find((r) => r.ruleId === car.ruleId);
    if (!car || !rule) return refuse(`非月租车辆:${request.carNo}`);
    // 1, 3, 6 and 12 periods have their own price; any other count is that many single periods.
    const priced: Record<number, number> = { 1: rule.amount1, 3: rule.amount3, 6: rule.amount6, 12: rule.amount12 };
    const fee = priced[request.count] ?? rule.amount1 * request.count;
    return succeed({ carNo: request.carNo, count: request.count, ruleId: rule.ruleId, unitPrice: rule.amount1, fee });
  }
  if (!context.state.lot(request.parkCode)) return refuse(`车场不存在:${request.parkCode}`);
  const authorisation = context.state.authorisation(request.parkCode, request.carNo);
  if (authorisation?.vehicleType !== "1") return refuse(`非月租车辆:${request.carNo}`);
  const unitPrice = 300;
  return succeed({ carNo: request.carNo, count: request.count, unitPrice, fee: unitPrice * request.count });
}

/** ump's refusals: `{code, msg, result: null}`, code 401 for who is calling, 400 for what was asked. */
const umpRefuse = (code: 400 | 401, msg: string): EboparkAnswer => ({ state: code, json: { code, msg, result: null } });

/**
 * POST /ebo/park/query/carParkSession?partnerid=&sign=: the stays of an Ebopark lot with an entry
 * or an exit in [startTime, endTime], as `{code: 200, msg, result: {carParkSessionList}}`.
 */
export function carParkSession(context: EboparkContext, query: URLSearchParams, bodyText: string): EboparkAnswer {
  const unsigned = signedByPartner(context.options, query, bodyText);
  if (unsigned) return umpRefuse(401, unsigned);
  const body = parseObject(bodyText);
  if (!body) return umpRefuse(400, "请求体不是有效的JSON");
  const checked = validate("carParkSession", body);
  if (!checked.ok) return umpRefuse(400, checked.desc);
  const request = checked.data as EboparkRequest<"carParkSession">;
  const lot = context.lots.lot(request.parkCode);
  if (!lot) return umpRefuse(400, `车场不存在:${request.parkCode}`);
  const from = parsePlatformTime(request.startTime).getTime();
  // The range's end is a whole second: everything in that second is in it.
  const to = parsePlatformTime(request.endTime).getTime() + 999;
  const list = context.lots.sessionsBetween(lot.parkCode, from, to).map((s) => sessionRecord(lot, s));
  return { state: 0, json: { code: 200, msg: "成功", result: { carParkSessionList: list } } };
}

/** A stay as carParkSession answers it (internal instants left out). */
function sessionRecord(lot: EboparkLot, s: EboparkSession): Record<string, unknown> {
  const { enteredAt: _entered, exitedAt: _exited, ...record } = s;
  return { ...record, parkName: lot.parkName };
}
