/**
 * Edge mode's exactly-once start: before a verified delivery runs the workflow, its id is claimed
 * at the edge (`POST /api/deliveries/{id}/claim`, one conditional UPDATE in D1, atomic for every
 * n8n process), and the claim is confirmed just before the workflow starts. Copies of the
 * delivery find it claimed and run nothing (workers/src/delivery/claims.ts has the states).
 *
 * Failures, and what they cost:
 * - the claim's answer is lost: the same request claims again with the same token, which the
 *   edge accepts; if every try fails, the delivery is answered 503 and the edge retries it later,
 *   when the unconfirmed lease has lapsed;
 * - n8n dies between claim and confirmation: the lease lapses, the edge's next attempt claims it;
 * - the workflow started but the edge never got the 2xx: the claim was confirmed, so the edge's
 *   retry is told "started" and runs nothing.
 * The one window left is between the confirmation and n8n recording the execution (microseconds
 * in-process): a crash exactly there loses that run, which docs/n8n.md says.
 */
import { DELIVERY_CLAIM_LEASE_SECONDS } from "@parkbridge/shared";
import type { IWebhookFunctions } from "n8n-workflow";
import { randomString, sleep } from "n8n-workflow";
import { EDGE_CREDENTIAL, edgeRequest } from "../ParkbridgeEdge/transport";

export type ClaimOutcome =
  /** This request holds the confirmed claim: run the workflow. */
  | { run: true }
  /** Started already (a copy): acknowledge with 2xx, run nothing. */
  | { run: false; status: 200; state: "started" }
  /** Someone else holds a live claim, or took it over: answer non-2xx so the edge retries later. */
  | { run: false; status: 409; state: "in_progress" | "claim_lost"; retryAfterSeconds: number }
  /** The edge could not be asked: answer 503, the edge retries. */
  | { run: false; status: 503; state: "unreachable"; error: string };

interface ClaimAnswer {
  claimed: boolean;
  state: "claimed" | "started" | "in_progress";
  expiresAt: string | null;
}

const TRIES = 3;

/** A 4xx from the edge is an answer; anything else (no answer, 5xx) may be tried again. */
function retryable(error: unknown): boolean {
  const code = Number((error as { httpCode?: string }).httpCode);
  return !(code >= 400 && code < 500);
}

type Tried<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** `call`, tried again (briefly) when it got no answer or a 5xx; what the last try gave. */
async function withRetries<T>(call: () => Promise<T>): Promise<Tried<T>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return { ok: true, value: await call() };
    } catch (error) {
      if (attempt >= TRIES || !retryable(error)) return { ok: false, error };
      await sleep(100 * 2 ** attempt);
    }
  }
}

export async function claimDelivery(
  context: IWebhookFunctions,
  deliveryId: string,
  subscriptionId: string,
): Promise<ClaimOutcome> {
  const token = randomString(32);
  // Read once for both calls.
  const credentials = await context.getCredentials(EDGE_CREDENTIAL);
  const path = `/api/deliveries/${encodeURIComponent(deliveryId)}/claim`;
  const claimed = await withRetries(() =>
    edgeRequest(context, { method: "POST", path, body: { subscriptionId, token } }, credentials),
  );
  if (!claimed.ok) return { run: false, status: 503, state: "unreachable", error: (claimed.error as Error).message };
  const answer = claimed.value as ClaimAnswer;
  if (answer.state === "started") return { run: false, status: 200, state: "started" };
  if (!answer.claimed) {
    const left = answer.expiresAt ? Math.ceil((Date.parse(answer.expiresAt) - Date.now()) / 1000) : 0;
    return { run: false, status: 409, state: "in_progress", retryAfterSeconds: Math.max(1, left) };
  }
  const confirmed = await withRetries(() =>
    edgeRequest(context, { method: "POST", path: `${path}/confirm`, body: { token } }, credentials),
  );
  // Taken over after our lease lapsed: the other holder runs it.
  if (!confirmed.ok && (confirmed.error as { httpCode?: string }).httpCode === "409") {
    return { run: false, status: 409, state: "claim_lost", retryAfterSeconds: DELIVERY_CLAIM_LEASE_SECONDS };
  }
  // Confirmed, or unconfirmed but held: run it. Only if this run's 2xx were lost too could the
  // edge's retry, after the lease, run an unconfirmed one again.
  return { run: true };
}
