/**
 * The grant service: what the API's routes do. Each write to the platform is bracketed by
 * the ledger so that nothing is `active` unless the platform accepted it, and a crash between
 * the two leaves a state the sweep can settle (docs/visitor-expiry.md).
 */
import {
  formatPlatformTime,
  type OperationInput,
  PlatformError,
  TransportError,
  ValidationError,
  validateRequest,
} from "@parkbridge/shared";
import { accountOfLot } from "../callbacks/live-state.js";
import type { Env } from "../env.js";
import { ApiError } from "../lib/errors.js";
import { buildGrant, endColumns, type GrantRow, platformEndDate, platformRemark } from "./grant.js";
import { parseInstant } from "./instant.js";
import { judgeOwnership } from "./ownership.js";
import { PlatformAccounts, UnknownAccountError } from "./platform-client.js";
import { audit, claimLease, findOpenGrant, getGrant, insertGrant, releaseLease, transition } from "./repository.js";
import { describeFailure, revokeIfOwned } from "./revocation.js";

/** How long the API holds a grant while it changes it on the platform (the sweep waits meanwhile). */
const API_LEASE_MS = 2 * 60_000;
const FREE_TYPE = "2";

export interface CreateGrantInput {
  parkingId: string;
  vehicleCode: string;
  visitorName: string;
  visitorPhone: string;
  reason?: string | undefined;
  laneNos?: string | undefined;
  startsAt?: string | undefined;
  endsAt: string;
  /** The platform account to authorise with; default: the account whose callbacks report the lot, else the primary one. */
  appKey?: string | undefined;
}

/** The platform's field names, as the API calls them (so a refusal names the field the caller sent). */
const apiFieldOf: Record<string, string> = {
  userName: "visitorName",
  userPhoneNumber: "visitorPhone",
  startTime: "startsAt",
  endTime: "endsAt",
  remark: "reason",
};

function validationToApiError(error: ValidationError): ApiError {
  const issue = error.issues[0];
  const field = issue ? (apiFieldOf[issue.field] ?? issue.field) : "(body)";
  return new ApiError(400, "invalid_input", `${field} ${issue?.reason ?? "is invalid"}`, { field });
}

type AuthorisationRequest = OperationInput<"addVehicle"> & OperationInput<"updateVehicle">;

function authorisationRequest(grant: GrantRow, endDate = grant.platform_end_date): AuthorisationRequest {
  return {
    parkingId: grant.parking_id,
    vehicleCode: grant.vehicle_code,
    vehicleType: FREE_TYPE,
    userName: grant.visitor_name,
    userPhoneNumber: grant.visitor_phone,
    startTime: grant.platform_start_date,
    endTime: endDate,
    remark: platformRemark(grant.id, grant.reason),
    ...(grant.lane_nos ? { laneNos: grant.lane_nos } : {}),
  };
}

/** The addVehicle request, checked against the catalogue before anything is written: a refusal names the API's field. */
function checkedRequest(request: AuthorisationRequest): AuthorisationRequest {
  try {
    validateRequest("addVehicle", request);
  } catch (error) {
    if (error instanceof ValidationError) throw validationToApiError(error);
    throw error;
  }
  return request;
}

function platformFailure(error: unknown, what: string, grantId: string): ApiError {
  if (error instanceof PlatformError) {
    return new ApiError(502, "platform_refused", `The platform refused to ${what}: ${error.msg}`, {
      platformMsg: error.msg,
      grantId,
    });
  }
  return new ApiError(
    502,
    "platform_unreachable",
    `The platform could not be reached to ${what}: ${describeFailure(error)}`,
    {
      grantId,
    },
  );
}

const newGrantId = () => `vg_${crypto.randomUUID().replaceAll("-", "")}`;

export class GrantService {
  constructor(
    private readonly env: Env,
    private readonly now: () => number = Date.now,
    private readonly accounts: PlatformAccounts = new PlatformAccounts(env),
  ) {}

  private get db() {
    return this.env.DB;
  }

  async get(id: string): Promise<GrantRow> {
    const grant = await getGrant(this.db, id);
    if (!grant) throw new ApiError(404, "not_found", `No visitor grant ${id}`, { field: "id" });
    return grant;
  }

  /**
   * Authorises the plate on the platform, then activates the grant. The grant is written
   * `pending` first: if the platform's answer is lost, the sweep settles it by looking.
   */
  async create(input: CreateGrantInput): Promise<GrantRow> {
    const now = this.now();
    const { startsAt, endsAt } = this.interval(input, now);
    const grant = buildGrant({
      id: newGrantId(),
      parkingId: input.parkingId,
      vehicleCode: input.vehicleCode,
      visitorName: input.visitorName,
      visitorPhone: input.visitorPhone,
      reason: input.reason ?? null,
      laneNos: input.laneNos ?? null,
      startsAt,
      endsAt,
      source: "api",
      sourceRef: null,
      appKey: await this.accountFor(input),
      status: "pending",
      createdAt: now,
    });
    const request = checkedRequest(authorisationRequest(grant));
    await this.recordPending(grant, request);
    await this.authorise(grant, request);
    return this.get(grant.id);
  }

  /** The instants a new grant spans, from the API's strings: an end in the future, after the start. */
  private interval(input: CreateGrantInput, now: number): { startsAt: number; endsAt: number } {
    const startsAt = input.startsAt === undefined ? now : parseInstant(input.startsAt, "startsAt", "start");
    const endsAt = parseInstant(input.endsAt, "endsAt", "end");
    if (endsAt <= now) throw new ApiError(400, "invalid_input", "endsAt must be in the future", { field: "endsAt" });
    if (endsAt <= startsAt)
      throw new ApiError(400, "invalid_input", "endsAt must be after startsAt", { field: "endsAt" });
    return { startsAt, endsAt };
  }

  /** The ledger's first word on a new grant: `pending`, its request in the audit row; 409 if the plate has an open grant. */
  private async recordPending(grant: GrantRow, request: AuthorisationRequest): Promise<void> {
    const open = await findOpenGrant(this.db, grant.parking_id, grant.vehicle_code);
    if (open) throw this.openConflict(open);
    const created = { actor: "api", action: "created", detail: { request } };
    try {
      await this.db.batch([
        insertGrant(this.db, grant),
        audit(this.db, grant.id, grant.created_at, created, null, "pending"),
      ]);
    } catch (error) {
      if (/UNIQUE/i.test(String(error))) {
        const raced = await findOpenGrant(this.db, grant.parking_id, grant.vehicle_code);
        if (raced) throw this.openConflict(raced);
      }
      throw error;
    }
  }

  /**
   * The platform call, and what the ledger makes of its answer: `active` when it authorised the
   * plate, `rejected` when it refused, still `pending` (for the sweep) when the answer was lost.
   */
  private async authorise(grant: GrantRow, request: AuthorisationRequest): Promise<void> {
    try {
      await this.accounts.client(grant.app_key).addVehicle(request);
    } catch (error) {
      const unknownOutcome = error instanceof TransportError && error.operationId === "addVehicle";
      const message = describeFailure(error);
      if (unknownOutcome) {
        // The platform may or may not have acted: stays pending for the sweep to settle.
        await transition(this.db, {
          id: grant.id,
          from: "pending",
          set: { last_error: message },
          at: this.now(),
          audit: { actor: "api", action: "outcome_unknown", detail: message },
        });
      } else {
        await transition(this.db, {
          id: grant.id,
          from: "pending",
          set: { status: "rejected", last_error: message, closed_reason: "the platform did not authorise the plate" },
          at: this.now(),
          audit: { actor: "api", action: "rejected", detail: message },
        });
      }
      if (error instanceof ValidationError) throw validationToApiError(error);
      throw platformFailure(error, "authorise the plate", grant.id);
    }
    await transition(this.db, {
      id: grant.id,
      from: "pending",
      set: { status: "active" },
      at: this.now(),
      audit: { actor: "api", action: "activated" },
    });
  }

  /** Moves the end of an active grant (earlier or later), on the platform too when its day changes. */
  async changeEnd(id: string, endsAtInput: string): Promise<GrantRow> {
    const now = this.now();
    const grant = await this.get(id);
    if (grant.status !== "active") {
      throw new ApiError(409, "not_active", `Grant ${id} is ${grant.status}; only an active grant can be changed`);
    }
    const endsAt = parseInstant(endsAtInput, "endsAt", "end");
    if (endsAt <= now) {
      throw new ApiError(400, "invalid_input", "endsAt must be in the future (DELETE the grant to end it now)", {
        field: "endsAt",
      });
    }
    if (endsAt <= grant.starts_at) {
      throw new ApiError(400, "invalid_input", "endsAt must be after the grant's startsAt", { field: "endsAt" });
    }
    const endDate = platformEndDate(endsAt);
    this.requireAccount(grant);
    const owner = `api:${crypto.randomUUID()}`;
    const leased = await this.lease(grant, owner, now);
    try {
      if (endDate !== leased.platform_end_date) {
        const lots = this.accounts.lots(leased.app_key);
        const ownership = judgeOwnership(leased, (await lots.get(leased.parking_id)).get(leased.vehicle_code));
        if (ownership.kind !== "owned") {
          throw new ApiError(
            409,
            "platform_changed",
            ownership.kind === "gone"
              ? `The platform has no authorisation for ${leased.vehicle_code} any more; create a new grant`
              : `The platform's authorisation of ${leased.vehicle_code} is no longer this grant's: ${ownership.reason}`,
            { grantId: id },
          );
        }
        try {
          await this.accounts.client(leased.app_key).updateVehicle(authorisationRequest(leased, endDate));
        } catch (error) {
          if (error instanceof ValidationError) throw validationToApiError(error);
          throw platformFailure(error, "change the authorisation", id);
        }
      }
      await transition(this.db, {
        id,
        from: "active",
        leaseOwner: owner,
        set: endColumns(endsAt),
        at: this.now(),
        audit: {
          actor: "api",
          action: endsAt > leased.ends_at ? "extended" : "shortened",
          detail: { from: leased.ends_at_local, to: formatPlatformTime(endsAt, "second"), platformEndDate: endDate },
        },
      });
    } finally {
      await releaseLease(this.db, id, owner);
    }
    return this.get(id);
  }

  /** Ends an active grant now: deletes the platform's authorisation if it is still the grant's. */
  async revoke(id: string): Promise<GrantRow> {
    const now = this.now();
    const grant = await this.get(id);
    if (grant.status === "revoked") return grant;
    if (grant.status !== "active") {
      throw new ApiError(409, "not_active", `Grant ${id} is ${grant.status}; only an active grant can be revoked`);
    }
    this.requireAccount(grant);
    const owner = `api:${crypto.randomUUID()}`;
    const leased = await this.lease(grant, owner, now);
    try {
      let outcome: Awaited<ReturnType<typeof revokeIfOwned>>;
      try {
        outcome = await revokeIfOwned(this.accounts.client(leased.app_key), this.accounts.lots(leased.app_key), leased);
      } catch (error) {
        throw platformFailure(error, "revoke the authorisation", id);
      }
      const superseded = outcome.kind === "superseded";
      await transition(this.db, {
        id,
        from: "active",
        leaseOwner: owner,
        set: {
          status: superseded ? "superseded" : "revoked",
          closed_reason:
            outcome.kind === "deleted"
              ? "revoked through the API; the platform's authorisation was deleted"
              : outcome.kind === "gone"
                ? "revoked through the API; the platform had no authorisation for the plate any more"
                : `revoked through the API, but the platform's authorisation was left in place: ${outcome.reason}`,
          next_attempt_at: null,
        },
        at: this.now(),
        audit: { actor: "api", action: superseded ? "superseded" : "revoked", detail: outcome },
      });
    } finally {
      await releaseLease(this.db, id, owner);
    }
    return this.get(id);
  }

  /**
   * The account a new grant is made with: the one asked for (it must be configured), else the
   * account whose callbacks report the lot (a lot belongs to one account), else the primary one.
   */
  private async accountFor(input: CreateGrantInput): Promise<string> {
    if (input.appKey !== undefined) {
      if (this.accounts.has(input.appKey)) return input.appKey;
      throw new ApiError(
        400,
        "invalid_input",
        "appKey is not one of this Worker's platform accounts (PLATFORM_APP_KEY or PLATFORM_ACCOUNTS)",
        { field: "appKey" },
      );
    }
    const reporting = await accountOfLot(this.db, input.parkingId);
    return reporting !== undefined && this.accounts.has(reporting) ? reporting : this.accounts.keyOf(null);
  }

  /** A grant whose account's secret was removed cannot be changed on the platform: say so, before touching it. */
  private requireAccount(grant: GrantRow): void {
    if (this.accounts.has(grant.app_key)) return;
    throw new ApiError(
      409,
      "account_not_configured",
      new UnknownAccountError(this.accounts.keyOf(grant.app_key)).message,
      {
        grantId: grant.id,
      },
    );
  }

  private async lease(grant: GrantRow, owner: string, now: number): Promise<GrantRow> {
    const leased = await claimLease(this.db, {
      id: grant.id,
      status: "active",
      owner,
      now,
      until: now + API_LEASE_MS,
    });
    if (!leased) {
      throw new ApiError(
        409,
        "busy",
        `Grant ${grant.id} is being changed (by the expiry sweep or another request); try again`,
        {
          grantId: grant.id,
        },
      );
    }
    return leased;
  }

  private openConflict(open: GrantRow): ApiError {
    return new ApiError(
      409,
      "grant_exists",
      `${open.vehicle_code} already has a ${open.status} grant at ${open.parking_id} (${open.id}); change it with PATCH`,
      { field: "vehicleCode", grantId: open.id },
    );
  }
}
