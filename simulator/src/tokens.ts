/**
 * AccessTokens: issued by getAccessToken after the signature check, valid for a configurable
 * time, and revocable at once (token expiry mid-run).
 */
import { randomBytes } from "node:crypto";
import { type OperationRequest, signCallback, timingSafeEqual } from "@parkbridge/shared";
import { Refusal } from "./handlers/index.js";

/** The platform's answer to a missing, unknown or expired token; the client recognises it by "AccessToken". */
export const TOKEN_FAILURE_MSG = "AccessToken无效或已过期";
/** How far the request's timestamp may be from the simulator's clock. */
const TIMESTAMP_WINDOW_MS = 5 * 60_000;

export interface Account {
  appKey: string;
  appSecret: string;
  /**
   * The lots this account owns (the platform's lots are per account: listParkingLots answers
   * "the lots of this account"). Omitted: every lot. A call naming another lot is refused as an
   * unknown lot, as the platform would.
   */
  parkingIds?: string[];
}

export class TokenStore {
  private tokens = new Map<string, { appKey: string; expiresAt: number }>();

  constructor(
    private readonly accounts: readonly Account[],
    private readonly ttlSeconds: number,
  ) {}

  account(appKey: string): Account | undefined {
    return this.accounts.find((a) => a.appKey === appKey);
  }

  secretOf(appKey: string): string | undefined {
    return this.account(appKey)?.appSecret;
  }

  /** getAccessToken: checks appKey, sign and timestamp, then issues a token. */
  issue(request: OperationRequest<"getAccessToken">, now: number): { accessToken: string; expiresIn: number } {
    const secret = this.secretOf(request.appKey);
    if (secret === undefined) throw new Refusal(`appKey不存在:${request.appKey}`);
    if (!timingSafeEqual(signCallback(request.appKey, request.timestamp, secret), request.sign)) {
      throw new Refusal("签名错误");
    }
    if (Math.abs(now - Number(request.timestamp)) > TIMESTAMP_WINDOW_MS) {
      throw new Refusal("时间戳无效,请校准时间后重试");
    }
    const accessToken = randomBytes(16).toString("hex");
    this.tokens.set(accessToken, { appKey: request.appKey, expiresAt: now + this.ttlSeconds * 1000 });
    return { accessToken, expiresIn: this.ttlSeconds };
  }

  /** The account a token belongs to, or undefined when it is unknown or expired. */
  check(token: string | undefined, now: number): string | undefined {
    if (!token) return undefined;
    const entry = this.tokens.get(token);
    if (!entry) return undefined;
    if (entry.expiresAt <= now) {
      this.tokens.delete(token);
      return undefined;
    }
    return entry.appKey;
  }

  expire(token: string): void {
    this.tokens.delete(token);
  }

  expireAll(): void {
    this.tokens.clear();
  }
}
