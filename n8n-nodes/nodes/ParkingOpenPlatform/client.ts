/**
 * The platform client for one execution, built from the "Parking Open Platform API" credential.
 * Calls go through n8n's HTTP helper; the client itself fetches and refreshes the AccessToken
 * (it also retries once on a token refusal, which n8n's 401-only refresh would not see).
 */
import { createPlatformClient, type OperationId, type PlatformClient } from "@parkbridge/shared";
import type { ICredentialDataDecryptedObject, IHttpRequestOptions } from "n8n-workflow";
import { fetchThroughN8n } from "../common/http";

export const PLATFORM_CREDENTIAL = "parkingOpenPlatformApi";

/** Path overrides: a JSON object of operation id → path, e.g. {"addVehicle": "/api/v2/vehicle/add"}. */
export function pathOverrides(credentials: ICredentialDataDecryptedObject): Partial<Record<OperationId, string>> {
  const raw = credentials.pathOverrides;
  if (!raw) return {};
  const parsed: unknown = typeof raw === "string" ? (raw.trim() ? JSON.parse(raw) : {}) : raw;
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new Error("Path Overrides must be a JSON object of operation id to path");
  }
  return parsed as Partial<Record<OperationId, string>>;
}

export function platformClient(
  credentials: ICredentialDataDecryptedObject,
  httpRequest: (options: IHttpRequestOptions) => Promise<unknown>,
): PlatformClient {
  return createPlatformClient({
    baseUrl: String(credentials.baseUrl ?? ""),
    appKey: String(credentials.appKey ?? ""),
    appSecret: String(credentials.appSecret ?? ""),
    tokenIn: credentials.sendIn === "query" ? "query" : "header",
    paths: pathOverrides(credentials),
    fetch: fetchThroughN8n(httpRequest),
  });
}
