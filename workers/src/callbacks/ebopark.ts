/**
 * Ebopark's pushed reports as a source of the ingestion path (pipeline.ts): POST
 * /callbacks/ebopark/:report with `partnerid` and `sign` in the query string. The report, the
 * query and the partner (EBOPARK_PARTNERS) are checked before the body is read; then the sign over
 * the raw bytes (md5(body + secretKey), the documented assumption: shared's
 * verifyEboparkReportBody), the text and the report's catalogue. The answer is Ebopark's:
 * exactly `{"code":0,"msg":"success","data":null}` once stored, its envelope with the reason and
 * field otherwise.
 *
 * No (timestamp, sign) pair: the sign covers the whole body, so a body cannot be swapped under a
 * valid sign, and nothing is ever held (held.ts). A replay is the same content: a redelivery,
 * stored once.
 */
import {
  type CheckedReportRequest,
  checkEboparkReportRequest,
  EBOPARK_REPORT_SUCCESS,
  eboparkReportRefusal,
  normaliseEboparkReport,
  type ReportSignatureCheck,
  verifyEboparkReportBody,
} from "@parkbridge/shared";
import { ConfigError, eboparkPartnersOf } from "../lib/config.js";
import { normalised } from "./normalise.js";
import { type CallbackSource, refusal, type Sender } from "./pipeline.js";

/** As for the open platform's callbacks: larger bodies are not reports. */
export const MAX_REPORT_BYTES = 64 * 1024;

export interface EboparkSender extends Sender {
  request: CheckedReportRequest;
  /** The query string as received (kept with the report: its sign can be checked again). */
  query: string;
  contentType: string | null;
}

/**
 * The report source, with the sign check a deployment uses (default: shared's
 * md5(raw body + secretKey), which Ebopark's page does not confirm; docs/protocol.md).
 */
export function eboparkReportSource(checkSign?: ReportSignatureCheck): CallbackSource<EboparkSender> {
  return {
    id: "ebopark",
    maxBodyBytes: MAX_REPORT_BYTES,

    async authenticate(request, { env }) {
      let partners: Map<string, string>;
      try {
        partners = eboparkPartnersOf(env);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        console.error("ebopark reports: configuration error", error.message);
        return refusal(500, "misconfigured", error.message);
      }
      const url = new URL(request.url);
      const report = decodeURIComponent(url.pathname.slice(url.pathname.lastIndexOf("/") + 1));
      const checked = await checkEboparkReportRequest({
        report,
        query: url.searchParams,
        secretFor: (partnerId) => partners.get(partnerId),
      });
      if (!checked.ok) return refusal(checked.status, checked.reason, checked.message, checked.field);
      return {
        appKey: checked.partnerId,
        request: checked,
        query: url.search.slice(1),
        contentType: request.headers.get("content-type"),
      };
    },

    async interpret(bytes, sender, { receivedAt }) {
      const verified = await verifyEboparkReportBody(sender.request, {
        body: bytes,
        contentType: sender.contentType,
        ...(checkSign ? { checkSign } : {}),
      });
      if (!verified.ok) return refusal(verified.status, verified.reason, verified.message, verified.field);
      const { report, bodyText } = verified;
      return {
        callbackType: report.report,
        body: bodyText,
        query: sender.query,
        callback: normalised(normaliseEboparkReport(report, receivedAt)),
      };
    },

    answer(c, result) {
      if (result.ok) return c.body(EBOPARK_REPORT_SUCCESS, 200, { "content-type": "application/json; charset=utf-8" });
      if (result.retryAfterSeconds) c.header("Retry-After", String(result.retryAfterSeconds));
      return c.json(eboparkReportRefusal(result.reason, result.message, result.field), result.status);
    },
  };
}

export const eboparkReports = eboparkReportSource();
