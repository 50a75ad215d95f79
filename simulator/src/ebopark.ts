/**
 * Ebopark (宜泊): CPGS findByCarNo and the partnerService calls, answering `{state, desc, data}`.
 * Signatures are verified: partnerService sign = md5(exact body string + secretKey); CPGS with
 * shared's default (unconfirmed) signer. Ebopark's parkCode is the lot's parkingId here.
 */
import {
  defaultCpgsSigner,
  eboparkOperations,
  formatPlatformTime,
  md5Hex,
  type OperationRequest,
  signPartnerBody,
  timingSafeEqual,
  toFieldIssues,
  toPlatformMessage,
  ValidationError,
  validateRequest,
} from "@parkbridge/shared";
import type { CatalogueSchema, EboparkRequest } from "./schemas.js";
import type { SimulatorState } from "./state.js";

export interface EboparkOptions {
  partnerId: string;
  secretKey: string;
  appKey: string;
}

export interface EboparkAnswer {
  /** 0 success, 1 refused (as `state` in the envelope). */
  state: number;
  json: unknown;
}

const refuse = (desc: string): EboparkAnswer => ({ state: 1, json: { state: 1, desc, data: null } });
const succeed = (data: unknown): EboparkAnswer => ({ state: 0, json: { state: 0, desc: "成功", data } });

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
): { ok: true; data: Record<string, unknown> } | EboparkAnswer {
  // Cast through unknown: comparing the catalogue's concrete schemas with ZodObject is costly for tsc.
  const schema = eboparkOperations[id].request as unknown as CatalogueSchema;
  const parsed = schema.safeParse(input);
  if (parsed.success) return { ok: true, data: parsed.data as Record<string, unknown> };
  return refuse(toPlatformMessage(toFieldIssues(parsed.error, schema, input)));
}

/** POST /partner/findByCarNo: the vehicle's floor, space and arrival; the record itself on success. */
export function findByCarNo(state: SimulatorState, options: EboparkOptions, bodyText: string): EboparkAnswer {
  const body = parseObject(bodyText);
  if (!body) return refuse("请求体不是有效的JSON");
  if (body.appKey !== options.appKey) return refuse("appKey无效");
  const { appKey, sign, ...rest } = body;
  const checked = validate("findByCarNo", rest);
  if (!("ok" in checked)) return checked;
  const fields = { appKey: String(appKey), carNo: String(checked.data.carNo), parkCode: String(checked.data.parkCode) };
  if (typeof sign !== "string" || !timingSafeEqual(defaultCpgsSigner(fields, options.secretKey), sign.toLowerCase())) {
    return refuse("签名错误");
  }
  const lot = state.lot(fields.parkCode);
  if (!lot) return refuse(`车场不存在:${fields.parkCode}`);
  // A partial plate (3 to 10 characters) matches the first vehicle whose plate contains it.
  const vehicle = [...lot.inPark.values()].find((v) => v.vehicleCode.includes(fields.carNo));
  if (!vehicle) return refuse(`未找到车辆:${fields.carNo}`);
  // Floor and space follow from the plate, so a vehicle stays where it parked.
  const hash = Number.parseInt(md5Hex(vehicle.vehicleCode).slice(0, 6), 16);
  const floor = (hash % 2) + 1;
  return {
    state: 0,
    json: {
      areaCode: `B${floor}`,
      code: `B${floor}-${String((hash >> 1) % 200).padStart(3, "0")}`,
      areaName: floor === 1 ? "地下一层" : "地下二层",
      carNo: vehicle.vehicleCode,
      carImage: `http://127.0.0.1/simulator/cpgs/${lot.parkingId}/${encodeURIComponent(vehicle.vehicleCode)}.jpg`,
      stopTime: `${formatPlatformTime(vehicle.enteredAt, "second").replace(" ", "T")}+08:00`,
    },
  };
}

/** POST /partnerService/<name>?partnerid=&sign= */
export function partnerService(
  state: SimulatorState,
  options: EboparkOptions,
  name: string,
  query: URLSearchParams,
  bodyText: string,
): EboparkAnswer {
  if (query.get("partnerid") !== options.partnerId) return refuse("合作方不存在(partnerid)");
  const sign = query.get("sign") ?? "";
  // The signature covers the exact bytes sent, so it is checked before parsing.
  if (!timingSafeEqual(signPartnerBody(bodyText, options.secretKey), sign.toLowerCase())) return refuse("签名错误");
  const body = parseObject(bodyText);
  if (!body) return refuse("请求体不是有效的JSON");

  if (name === "AddMonthCarV2") {
    const checked = validate("AddMonthCarV2", body);
    if (!("ok" in checked)) return checked;
    const request = checked.data as EboparkRequest<"AddMonthCarV2">;
    const lot = state.lot(request.ParkCode);
    if (!lot) return refuse(`车场不存在:${request.ParkCode}`);
    const period = request.lotDesc[0];
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
    for (const authorisation of authorisations) state.putAuthorisation(authorisation);
    return succeed(null);
  }
  if (name === "QueryDeduList") {
    const checked = validate("QueryDeduList", body);
    if (!("ok" in checked)) return checked;
    const request = checked.data as EboparkRequest<"QueryDeduList">;
    const lot = state.lot(request.parkCode);
    if (!lot) return refuse(`车场不存在:${request.parkCode}`);
    const coupons = lot.coupons.filter((c) => !request.carNo || c.vehicleCode === request.carNo);
    const start = (request.page - 1) * request.pageSize;
    return succeed({
      total: coupons.length,
      list: coupons.slice(start, start + request.pageSize).map((c) => ({
        deduId: String(c.couponId),
        carNo: c.vehicleCode,
        deduType: c.couponType,
        deduValue: c.discount,
        status: 0,
        sendTime: c.issuedAt,
        expireTime: c.expireTime ?? "",
      })),
    });
  }
  if (name === "QueryMonthCarFeeV2") {
    const checked = validate("QueryMonthCarFeeV2", body);
    if (!("ok" in checked)) return checked;
    const request = checked.data as EboparkRequest<"QueryMonthCarFeeV2">;
    if (!state.lot(request.parkCode)) return refuse(`车场不存在:${request.parkCode}`);
    const authorisation = state.authorisation(request.parkCode, request.carNo);
    if (authorisation?.vehicleType !== "1") return refuse(`非月租车辆:${request.carNo}`);
    const unitPrice = 300;
    return succeed({ carNo: request.carNo, count: request.count, unitPrice, fee: unitPrice * request.count });
  }
  // The other ~60 endpoints of the table of contents are not documented: a signed call succeeds.
  return succeed(null);
}
