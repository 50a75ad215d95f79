/**
 * Ebopark client: CPGS find-by-plate, the known partnerService calls, carParkSession on the ump
 * host, and a signed custom call for every other endpoint in the table of contents. Answers may
 * come gzip-encoded and in a charset other than UTF-8 (GBK has been seen): they are decoded by
 * what they declare (shared/src/util/decode.ts).
 */
import type { z } from "zod";
import { PlatformError, TransportError, toFieldIssues, ValidationError } from "../platform/errors.js";
import { BodyDecodingError, responseText } from "../util/decode.js";
import { abortAfter } from "../util/timers.js";
import { type EboparkHost, type EboparkPartnerOperationId, eboparkOperations } from "./catalogue.js";
import { type CpgsSigner, defaultCpgsSigner, signPartnerBody } from "./sign.js";

export interface EboparkClientOptions {
  /** partnerService host, e.g. http://testlpn.ebopark.com */
  partnerHost: string;
  /** CPGS host, e.g. https://cpgs-api-test.ebopark.com */
  cpgsHost: string;
  /**
   * ump host of carParkSession, e.g. http://ump.ebopark.com (production). Default: partnerHost,
   * where Ebopark's test environment serves it.
   */
  umpHost?: string;
  partnerId: string;
  secretKey: string;
  /** CPGS partner key (`appKey` in its bodies). */
  appKey: string;
  cpgsSigner?: CpgsSigner;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

type Input<K extends keyof typeof eboparkOperations> = z.input<(typeof eboparkOperations)[K]["request"]>;
type Output<K extends keyof typeof eboparkOperations> = z.output<(typeof eboparkOperations)[K]["result"]>;

export type EboparkClient = {
  findByCarNo(input: Input<"findByCarNo">): Promise<Output<"findByCarNo">>;
  /** A signed partnerService call to any endpoint by name, e.g. `callPartner("DelMonthCar", {...})`. */
  callPartner(name: string, body: unknown): Promise<unknown>;
} & { [K in EboparkPartnerOperationId]: (input: Input<K>) => Promise<Output<K>> };

/** `{state, desc, data|result}` (state 0 = success) or `{code: 200, msg, result}`: both are accepted. */
function unwrapPartner(name: string, envelope: Record<string, unknown>, status: number): unknown {
  if ("state" in envelope) {
    if (Number(envelope.state) !== 0) {
      throw new PlatformError(name, Number(envelope.state), String(envelope.desc ?? envelope.msg ?? ""), status);
    }
    return envelope.data ?? envelope.result ?? null;
  }
  if ("code" in envelope) {
    const code = Number(envelope.code);
    if (code !== 200 && code !== 0)
      throw new PlatformError(name, code, String(envelope.msg ?? envelope.desc ?? ""), status);
    return envelope.result ?? envelope.data ?? null;
  }
  return envelope;
}

export function createEboparkClient(options: EboparkClientOptions): EboparkClient {
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const timeoutMs = options.timeoutMs ?? 10_000;
  const signCpgs = options.cpgsSigner ?? defaultCpgsSigner;
  const hosts: Record<EboparkHost, string> = {
    cpgs: options.cpgsHost,
    partner: options.partnerHost,
    ump: options.umpHost || options.partnerHost,
  };
  const base = (host: EboparkHost) => hosts[host].replace(/\/+$/, "");

  async function post(name: string, url: string, bodyString: string): Promise<{ json: unknown; status: number }> {
    const controller = new AbortController();
    const clearTimer = abortAfter(controller, timeoutMs);
    try {
      const response = await doFetch(url, {
        method: "POST",
        headers: { "content-type": "application/json; charset=utf-8" },
        body: bodyString,
        signal: controller.signal,
      });
      let text: string;
      try {
        text = await responseText(response);
      } catch (error) {
        if (!(error instanceof BodyDecodingError)) throw error;
        throw new TransportError(name, error.message, "malformed", response.status, { cause: error });
      }
      try {
        return { json: JSON.parse(text), status: response.status };
      } catch {
        throw new TransportError(
          name,
          `HTTP ${response.status}: the answer is not JSON`,
          response.ok ? "malformed" : "http",
          response.status,
        );
      }
    } catch (error) {
      if (error instanceof TransportError) throw error;
      if (controller.signal.aborted) throw new TransportError(name, `no answer within ${timeoutMs} ms`, "timeout");
      throw new TransportError(name, `could not reach Ebopark: ${(error as Error).message}`, "network", undefined, {
        cause: error,
      });
    } finally {
      clearTimer();
    }
  }

  /** A signed call: `partnerid` and `sign = md5(body string + secretKey)` in the query string. */
  async function signedCall(name: string, url: string, body: unknown): Promise<unknown> {
    // Serialise once; sign and send that same string (Chinese characters unescaped, as JSON.stringify does).
    const bodyString = JSON.stringify(body ?? {});
    const sign = signPartnerBody(bodyString, options.secretKey);
    const { json, status } = await post(
      name,
      `${url}?partnerid=${encodeURIComponent(options.partnerId)}&sign=${sign}`,
      bodyString,
    );
    if (!json || typeof json !== "object")
      throw new TransportError(name, "the answer is not a JSON object", "malformed", status);
    return unwrapPartner(name, json as Record<string, unknown>, status);
  }

  async function callPartner(name: string, body: unknown): Promise<unknown> {
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) {
      throw new ValidationError(name || "callPartner", [
        { field: "name", reason: "must be an endpoint name such as AddMonthCarV2" },
      ]);
    }
    return signedCall(name, `${base("partner")}/partnerService/${name}`, body);
  }

  /** The payload of a known call, checked against its result schema (unknown fields kept). */
  function typedResult<K extends EboparkPartnerOperationId>(id: K, payload: unknown): Output<K> {
    const schema = eboparkOperations[id].result as z.ZodType;
    const parsed = schema.safeParse(payload);
    if (!parsed.success) {
      const issue = toFieldIssues(parsed.error, undefined, payload)[0];
      throw new TransportError(
        id,
        `Ebopark's answer does not match the catalogue: ${issue?.field} ${issue?.reason}`,
        "malformed",
      );
    }
    return parsed.data as Output<K>;
  }

  function validated<K extends keyof typeof eboparkOperations>(id: K, input: Input<K>) {
    const schema = eboparkOperations[id].request as z.ZodObject;
    const parsed = schema.safeParse(input ?? {});
    if (!parsed.success) throw new ValidationError(id, toFieldIssues(parsed.error, schema, input ?? {}));
    return parsed.data as Record<string, unknown>;
  }

  const client: Record<string, unknown> = {
    async findByCarNo(input: Input<"findByCarNo">) {
      const request = validated("findByCarNo", input);
      const fields = { appKey: options.appKey, carNo: String(request.carNo), parkCode: String(request.parkCode) };
      const bodyString = JSON.stringify({ ...fields, sign: signCpgs(fields, options.secretKey) });
      const url = `${base("cpgs")}${eboparkOperations.findByCarNo.path}`;
      const { json, status } = await post("findByCarNo", url, bodyString);
      if (!json || typeof json !== "object" || Array.isArray(json)) {
        throw new TransportError("findByCarNo", "the answer is not a JSON object", "malformed", status);
      }
      const envelope = json as Record<string, unknown>;
      // CPGS answers the record itself; a failure comes as an envelope.
      const payload = "carNo" in envelope ? envelope : unwrapPartner("findByCarNo", envelope, status);
      const parsed = eboparkOperations.findByCarNo.result.safeParse(payload);
      if (!parsed.success) throw new TransportError("findByCarNo", "the answer has no carNo", "malformed", status);
      return parsed.data;
    },
    callPartner,
  };
  for (const id of Object.keys(eboparkOperations) as Array<keyof typeof eboparkOperations>) {
    if (id === "findByCarNo") continue;
    const { host, path } = eboparkOperations[id];
    // async, so a refused input rejects the promise like every other failure instead of throwing.
    client[id] = async (input: never) =>
      typedResult(id, await signedCall(id, `${base(host)}${path}`, validated(id, input)));
  }
  return client as EboparkClient;
}
