/** The simulator's parts wired together; the server and the control endpoints work on this. */
import { CallbackDelivery } from "./delivery.js";
import type { EboparkOptions } from "./ebopark.js";
import { FaultBook } from "./faults.js";
import type { CallRecord } from "./server.js";
import { SimulatorState } from "./state.js";
import { type Account, TokenStore } from "./tokens.js";
import { Traffic } from "./traffic.js";

export interface SimulatorParts {
  seed: number;
  vehicleCount: number;
  accounts: Account[];
  tokenTtlSeconds: number;
  callbackUrl?: string;
  callbackAccount: Account;
  callbackRetries: number;
  callbackRetryDelayMs: number;
  trafficPerSecond: number;
  ebopark: EboparkOptions;
  /** The platform's clock (default Date.now): a harness that models time passes its own. */
  clock?: () => number;
}

export class Simulator {
  readonly state: SimulatorState;
  readonly faults: FaultBook;
  readonly tokens: TokenStore;
  readonly delivery: CallbackDelivery;
  readonly traffic: Traffic;
  readonly calls: CallRecord[] = [];
  readonly ebopark: EboparkOptions;
  private readonly holds = new Map<NodeJS.Timeout, () => void>();

  constructor(readonly parts: SimulatorParts) {
    this.state = new SimulatorState({ seed: parts.seed, vehicleCount: parts.vehicleCount });
    this.faults = new FaultBook(parts.seed);
    this.tokens = new TokenStore(parts.accounts, parts.tokenTtlSeconds);
    this.delivery = new CallbackDelivery(
      {
        url: parts.callbackUrl,
        appKey: parts.callbackAccount.appKey,
        appSecret: parts.callbackAccount.appSecret,
        retries: parts.callbackRetries,
        retryDelayMs: parts.callbackRetryDelayMs,
      },
      this.faults,
    );
    this.traffic = new Traffic(this.state, this.delivery, parts.trafficPerSecond);
    this.ebopark = parts.ebopark;
  }

  /** The platform's clock: call times, token issue and expiry, request timestamps. */
  now(): number {
    return (this.parts.clock ?? Date.now)();
  }

  /** Waits `ms` (latency and timeout faults); cut short when the simulator closes. */
  hold(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.holds.delete(timer);
        resolve();
      }, ms);
      this.holds.set(timer, resolve);
    });
  }

  /** Seeded state again; faults, the calls log and the sent callbacks cleared. Tokens stay valid. */
  reset(): void {
    this.state.reset();
    this.faults.clear();
    this.calls.length = 0;
    this.delivery.sent.length = 0;
    this.traffic.events.length = 0;
  }

  close(): void {
    this.traffic.stop();
    this.delivery.close();
    for (const [timer, resolve] of this.holds) {
      clearTimeout(timer);
      resolve();
    }
    this.holds.clear();
  }
}
