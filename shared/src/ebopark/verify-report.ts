/**
 * Verifies a report Ebopark pushed: the report is one of the seven, `partnerid` and `sign` are in
 * the query string, the partner is known, the sign matches over the raw body bytes (checked
 * before anything is parsed), and the body is a JSON object valid for its report. Returns a typed
 * report or a typed rejection; never throws on bad input.
 *
 * The sign covers the whole body, so a verified report cannot have been changed; it carries no
 * timestamp, so a captured report can be replayed: receivers store by content (`bodyDigest`), and
 * a replay is then a redelivery, stored once.
 */
import type { z } from "zod";
import { toFieldIssues } from "../platform/errors.js";
import { timingSafeEqual } from "../util/constant-time.js";
import { BodyDecodingError, decodeBody } from "../util/decode.js";
import { sha256Hex } from "../util/sha256.js";
import {
  type EboparkReport,
  type EboparkReportId,
  eboparkReportIds,
  eboparkReports,
  isEboparkReportId,
} from "./reports.js";
import { signReportBody } from "./sign.js";

export type ReportRejectionReason =
  | "unknown_report"
  | "missing_parameter"
  | "unknown_partner"
  | "bad_sign"
  | "malformed_body";

export interface ReportRejection {
  ok: false;
  reason: ReportRejectionReason;
  /** The query parameter or body field at fault, when there is one. */
  field?: string;
  /** English, for logs and answers. */
  message: string;
  /** 404 for a report that does not exist, 401 for who sent it, 400 for what was sent. */
  status: 400 | 401 | 404;
}

export interface VerifiedReport {
  ok: true;
  partnerId: string;
  sign: string;
  /** The report and its parsed body. */
  report: EboparkReport;
  /** The body as text (decoded by its charset, UTF-8 by default). */
  bodyText: string;
  /** SHA-256 of the raw body bytes, hex: identifies the content of this delivery. */
  bodyDigest: string;
}

/**
 * Checks a report's sign. The default is `signReportBody` (md5 of the raw bytes + secretKey);
 * a deployment that learns Ebopark's real scheme passes its own.
 */
export type ReportSignatureCheck = (input: {
  body: Uint8Array;
  sign: string;
  partnerId: string;
  secretKey: string;
  query: URLSearchParams;
}) => boolean | Promise<boolean>;

export const defaultReportSignatureCheck: ReportSignatureCheck = ({ body, sign, secretKey }) =>
  timingSafeEqual(signReportBody(body, secretKey), sign.trim().toLowerCase());

export interface VerifyReportOptions {
  /** The report id from the path (`/callbacks/ebopark/:report`). */
  report: string;
  /** The request's query string. */
  query: URLSearchParams | string | Record<string, string | undefined>;
  /** The raw body, exactly as received. */
  body: Uint8Array | ArrayBuffer | string;
  /** The request's Content-Type (its charset decodes the body; UTF-8 by default). */
  contentType?: string | null;
  /** The secretKey of a partnerid, or undefined when the partner is unknown. */
  secretFor: (partnerId: string) => string | undefined | Promise<string | undefined>;
  checkSign?: ReportSignatureCheck;
}

const STATUS: Record<ReportRejectionReason, ReportRejection["status"]> = {
  unknown_report: 404,
  missing_parameter: 401,
  unknown_partner: 401,
  bad_sign: 401,
  malformed_body: 400,
};

const reject = (reason: ReportRejectionReason, message: string, field?: string): ReportRejection => ({
  ok: false,
  reason,
  message,
  status: STATUS[reason],
  ...(field ? { field } : {}),
});

const encoder = new TextEncoder();

function toBytes(body: VerifyReportOptions["body"]): Uint8Array {
  if (typeof body === "string") return encoder.encode(body);
  return body instanceof Uint8Array ? body : new Uint8Array(body);
}

function toQuery(query: VerifyReportOptions["query"]): URLSearchParams {
  if (query instanceof URLSearchParams) return query;
  if (typeof query === "string") return new URLSearchParams(query);
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, value);
  return params;
}

/** A request whose report, partner and sign are checked so far: the body is next (verifyEboparkReportBody). */
export interface CheckedReportRequest {
  ok: true;
  report: EboparkReportId;
  partnerId: string;
  /** As sent (trimmed). */
  sign: string;
  secretKey: string;
  query: URLSearchParams;
}

/**
 * The checks that need no body: the report is one of the seven, `partnerid` and `sign` are in the
 * query string and the partner is known. A receiver runs it before reading the body.
 */
export async function checkEboparkReportRequest(
  options: Pick<VerifyReportOptions, "report" | "query" | "secretFor">,
): Promise<CheckedReportRequest | ReportRejection> {
  if (!isEboparkReportId(options.report)) {
    return reject(
      "unknown_report",
      `report ${JSON.stringify(options.report.slice(0, 64))} is not one of ${eboparkReportIds.join(", ")}`,
      "report",
    );
  }
  const query = toQuery(options.query);
  const partnerId = query.get("partnerid")?.trim();
  if (!partnerId) return reject("missing_parameter", "query parameter partnerid is missing", "partnerid");
  const sign = query.get("sign")?.trim();
  if (!sign) return reject("missing_parameter", "query parameter sign is missing", "sign");
  const secretKey = await options.secretFor(partnerId);
  if (secretKey === undefined) {
    return reject("unknown_partner", "partnerid is not configured on this endpoint", "partnerid");
  }
  return { ok: true, report: options.report, partnerId, sign, secretKey, query };
}

/**
 * The checks of the body, for a request checkEboparkReportRequest passed: the sign over the raw
 * bytes first (before they are read in any other way), then the text (by its charset), JSON, and
 * the report's schema.
 */
export async function verifyEboparkReportBody(
  request: CheckedReportRequest,
  options: Pick<VerifyReportOptions, "body" | "contentType" | "checkSign">,
): Promise<VerifiedReport | ReportRejection> {
  const { report: reportId, partnerId, sign, secretKey, query } = request;
  // The sign covers the exact bytes received: check it before reading them in any other way.
  const bytes = toBytes(options.body);
  const check = options.checkSign ?? defaultReportSignatureCheck;
  if (!(await check({ body: bytes, sign, partnerId, secretKey, query }))) {
    return reject(
      "bad_sign",
      options.checkSign
        ? "sign does not match this endpoint's report signature check"
        : "sign does not match md5(raw body + secretKey)",
      "sign",
    );
  }

  let bodyText: string;
  try {
    bodyText = await decodeBody(bytes, options.contentType);
  } catch (error) {
    if (error instanceof BodyDecodingError) return reject("malformed_body", error.message, "(body)");
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(bodyText);
  } catch {
    return reject("malformed_body", "body is not valid JSON", "(body)");
  }
  if (!json || typeof json !== "object" || Array.isArray(json)) {
    return reject("malformed_body", "body must be a JSON object", "(body)");
  }
  const schema: z.ZodType = eboparkReports[reportId].data;
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = toFieldIssues(parsed.error, undefined, json)[0];
    const field = issue?.field ?? "(body)";
    return reject("malformed_body", `${field} ${issue?.reason ?? "is invalid"}`, field);
  }
  return {
    ok: true,
    partnerId,
    sign: sign.toLowerCase(),
    report: { report: reportId, data: parsed.data } as EboparkReport,
    bodyText,
    bodyDigest: await sha256Hex(bytes),
  };
}

/** Both steps at once: checkEboparkReportRequest, then verifyEboparkReportBody. */
export async function verifyEboparkReport(options: VerifyReportOptions): Promise<VerifiedReport | ReportRejection> {
  const request = await checkEboparkReportRequest(options);
  if (!request.ok) return request;
  return verifyEboparkReportBody(request, options);
}
