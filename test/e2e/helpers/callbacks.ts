/** Sends platform callbacks the way the platform does: signed headers over plain HTTP. */
import { type CallbackType, signCallback } from "@parkbridge/shared";

export const DEMO_ACCOUNT = { appKey: "demo-app-key", appSecret: "demo-app-secret" } as const;

// A (timestamp, sign) pair is bound to the first body it came with, and the sign covers only
// appKey + timestamp: two callbacks sent in the same millisecond need distinct timestamps.
let lastTimestamp = 0;
function nextTimestamp(): string {
  lastTimestamp = Math.max(Date.now(), lastTimestamp + 1);
  return String(lastTimestamp);
}

export async function postCallback(
  workerUrl: string,
  callbackType: CallbackType,
  data: Record<string, unknown>,
  account: { appKey: string; appSecret: string } = DEMO_ACCOUNT,
): Promise<{ status: number; body: unknown }> {
  const timestamp = nextTimestamp();
  const response = await fetch(`${workerUrl}/callbacks`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      appKey: account.appKey,
      timestamp,
      sign: signCallback(account.appKey, timestamp, account.appSecret),
    },
    body: JSON.stringify({ callbackType, data }),
  });
  return { status: response.status, body: await response.json() };
}
