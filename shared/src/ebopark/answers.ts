/**
 * What a partner answers Ebopark's reports. Ebopark treats exactly
 * `{"code":0,"msg":"success","data":null}` as received; anything else is a failure it retries.
 */
import type { ReportRejectionReason } from "./verify-report.js";

/** The exact success answer, byte for byte. */
export const EBOPARK_REPORT_SUCCESS = '{"code":0,"msg":"success","data":null}';

/** A refusal in Ebopark's envelope: code 1, an English msg, and the machine reason and field under data. */
export interface EboparkReportRefusal {
  code: 1;
  msg: string;
  data: { reason: ReportRejectionReason | (string & {}); field?: string };
}

export function eboparkReportRefusal(reason: EboparkReportRefusal["data"]["reason"], msg: string, field?: string) {
  return { code: 1, msg, data: { reason, ...(field ? { field } : {}) } } satisfies EboparkReportRefusal;
}

/** Whether an answer is Ebopark's success, exactly (what its sender checks). */
export function isEboparkReportSuccess(answer: string): boolean {
  return answer === EBOPARK_REPORT_SUCCESS;
}
