/**
 * Ebopark's reports, pushed as Ebopark pushes them: POST `{url}/{report}?partnerid=…&sign=…`
 * with the JSON body, sign = md5(body + secretKey) (shared's signReportBody, the documented
 * assumption). Only the exact answer `{"code":0,"msg":"success","data":null}` counts as received;
 * anything else (another body, a non-2xx status, no answer) is retried with the same body.
 */
import { type EboparkReportId, isEboparkReportSuccess, signReportBody } from "@parkbridge/shared";
import { type DeliveryAttempt, RetryingDelivery, type RetryOptions } from "./delivery.js";
import type { FaultBook } from "./faults.js";

/** A report as the simulator sends it: which one, and its body. */
export interface EboparkReportBody {
  report: EboparkReportId;
  data: Record<string, unknown>;
}

/** One delivery attempt of a report. */
export interface SentReport extends DeliveryAttempt {
  report: EboparkReportId;
  /** The body, parsed. */
  event: EboparkReportBody;
  /** Where it was POSTed, query string included. */
  url: string;
  partnerId: string;
  sign: string;
  /** The start of the answer's body (first 200 characters). */
  answer?: string;
}

export interface ReportDeliveryOptions extends RetryOptions {
  /** Base URL; the report id is appended, e.g. http://127.0.0.1:8787/callbacks/ebopark → …/callbacks/ebopark/vehicleEntry. */
  url?: string;
  partnerId: string;
  secretKey: string;
}

export class ReportDelivery extends RetryingDelivery<EboparkReportBody, SentReport> {
  constructor(
    private readonly options: ReportDeliveryOptions,
    faults: FaultBook,
  ) {
    super(options, faults, "rp");
  }

  get configured(): boolean {
    return Boolean(this.options.url);
  }

  protected serialise(item: EboparkReportBody): string {
    return JSON.stringify(item.data);
  }

  protected targets(item: EboparkReportBody): readonly string[] {
    return ["report", item.report];
  }

  protected async attempt(
    item: EboparkReportBody,
    text: string,
    base: DeliveryAttempt & { ok: false; status: 0 },
  ): Promise<SentReport> {
    const { partnerId, secretKey } = this.options;
    const sign = signReportBody(text, secretKey);
    const url = `${(this.options.url as string).replace(/\/+$/, "")}/${item.report}?partnerid=${encodeURIComponent(partnerId)}&sign=${sign}`;
    const sent = { ...base, report: item.report, event: item, url, partnerId, sign };
    try {
      const response = await (this.retry.fetch ?? fetch)(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: text,
        signal: this.signal(),
      });
      const answer = await response.text().catch(() => "");
      return {
        ...sent,
        status: response.status,
        ok: response.ok && isEboparkReportSuccess(answer),
        answer: answer.slice(0, 200),
      };
    } catch (error) {
      return { ...sent, error: (error as Error).message };
    }
  }
}
