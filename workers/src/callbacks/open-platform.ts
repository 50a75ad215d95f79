/**
 * The parking open platform as a source of the ingestion path (pipeline.ts): its headers
 * (appKey, timestamp, sign = md5(appKey + timestamp + appSecret), checked before the body is
 * read), its callback catalogue (shared), what each callback means in the one event vocabulary
 * (shared's normaliseCallback), and its answer envelope (answers.ts).
 */
import { normaliseCallback, parseCallbackBody, verifyCallbackHeaders } from "@parkbridge/shared";
import { bookingProblem, recordGrantFromVisitorCallback } from "../visitors/from-callback.js";
import { callbackFailure, PLATFORM_OK } from "./answers.js";
import { utf8Text } from "./body.js";
import { normalised } from "./normalise.js";
import { type CallbackSource, refusal, type Sender } from "./pipeline.js";

/** Larger bodies are not callbacks (the biggest seed example is under 1 KB). */
export const MAX_CALLBACK_BYTES = 64 * 1024;

export const openPlatform: CallbackSource<Sender> = {
  id: "open-platform",
  maxBodyBytes: MAX_CALLBACK_BYTES,

  async authenticate(request, { settings, receivedAt }) {
    const verified = await verifyCallbackHeaders({
      headers: request.headers,
      secretFor: (appKey) => settings.accounts.get(appKey),
      now: receivedAt.getTime(),
      windowMs: settings.windowMs,
    });
    if (!verified.ok) return refusal(verified.status, verified.reason, verified.message, verified.field);
    return { appKey: verified.appKey, pair: { timestamp: verified.timestamp, sign: verified.sign } };
  },

  interpret(bytes, sender, { env, receivedAt, eventId, settings }) {
    const text = utf8Text(bytes);
    if (!text.ok) return refusal(text.status, text.reason, text.message, "(body)");
    const body = text.text;
    const parsed = parseCallbackBody(body);
    if (!parsed.ok) return refusal(parsed.status, parsed.reason, parsed.message, parsed.field);
    const { event } = parsed;
    const callback = normalised(normaliseCallback(event, receivedAt));
    if (event.event !== "visitorRegistered") return { callbackType: event.callbackType, body, callback };
    // A visitor booking made on the platform becomes a visitor grant, atomically with its event.
    const problem = bookingProblem(event.data, receivedAt.getTime(), settings.bookingHorizonMs);
    if (problem)
      return refusal(400, "malformed_body", `data.${problem.field} ${problem.reason}`, `data.${problem.field}`);
    return {
      callbackType: event.callbackType,
      body,
      callback,
      extra: recordGrantFromVisitorCallback(env.DB, {
        eventId,
        data: event.data,
        receivedAt: receivedAt.getTime(),
        appKey: sender.appKey,
      }),
    };
  },

  answer(c, result) {
    if (result.ok) return c.json(PLATFORM_OK, 200);
    if (result.retryAfterSeconds) c.header("Retry-After", String(result.retryAfterSeconds));
    return c.json(callbackFailure(result.reason, result.message, result.field), result.status);
  },
};
