import { md5Hex } from "../util/md5.js";

const encoder = new TextEncoder();

/**
 * Ebopark partnerService signature: md5(<the exact JSON body string sent> + secretKey), lowercase
 * hex over UTF-8. Sign the string you send: serialise once, sign it, send the same string.
 */
export function signPartnerBody(bodyString: string, secretKey: string): string {
  return md5Hex(bodyString + secretKey);
}

/** Signs a CPGS request body (without its `sign`). Replaceable: the real scheme is unconfirmed. */
export type CpgsSigner = (fields: Record<string, string>, secretKey: string) => string;

/**
 * Default CPGS signer: md5 of the fields sorted by key as `k=v&k=v` followed by the secret.
 * UNCONFIRMED: the seed's example sign cannot be reproduced from public material (docs/protocol.md, "Assumptions").
 */
export const defaultCpgsSigner: CpgsSigner = (fields, secretKey) => {
  const canonical = Object.keys(fields)
    .filter((k) => k !== "sign")
    .sort()
    .map((k) => `${k}=${fields[k]}`)
    .join("&");
  return md5Hex(canonical + secretKey);
};

/**
 * The sign of a report Ebopark pushes, as assumed: partnerService's rule over the raw body bytes,
 * md5(<body bytes as sent> + secretKey), lowercase hex. UNCONFIRMED: Ebopark's pages do not state
 * how reports are signed (docs/protocol.md, "Assumptions"); a deployment may replace the check.
 */
export function signReportBody(body: Uint8Array | string, secretKey: string): string {
  const bytes = typeof body === "string" ? encoder.encode(body) : body;
  const secret = encoder.encode(secretKey);
  const joined = new Uint8Array(bytes.length + secret.length);
  joined.set(bytes);
  joined.set(secret, bytes.length);
  return md5Hex(joined);
}
