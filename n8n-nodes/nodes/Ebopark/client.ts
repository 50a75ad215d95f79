/** The Ebopark client for one execution, from the "Ebopark API" credential. */
import { createEboparkClient, type EboparkClient } from "@parkbridge/shared";
import type { ICredentialDataDecryptedObject, IHttpRequestOptions } from "n8n-workflow";
import { fetchThroughN8n } from "../common/http";

export const EBOPARK_CREDENTIAL = "eboparkApi";

export function eboparkClient(
  credentials: ICredentialDataDecryptedObject,
  httpRequest?: (options: IHttpRequestOptions) => Promise<unknown>,
): EboparkClient {
  return createEboparkClient({
    partnerHost: String(credentials.partnerHost ?? ""),
    umpHost: String(credentials.umpHost ?? ""),
    cpgsHost: String(credentials.cpgsHost ?? ""),
    partnerId: String(credentials.partnerId ?? ""),
    secretKey: String(credentials.secretKey ?? ""),
    appKey: String(credentials.appKey ?? ""),
    ...(httpRequest ? { fetch: fetchThroughN8n(httpRequest) } : {}),
  });
}
