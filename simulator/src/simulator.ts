/** The simulator's parts wired together; the server and the control endpoints work on this. */
import { CallbackDelivery } from "./delivery.js";
import type { EboparkContext, EboparkOptions } from "./ebopark.js";
import { EboparkState } from "./ebopark-state.js";
import { EboparkTraffic } from "./ebopark-traffic.js";
import { FaultBook } from "./faults.js";
import { ReportDelivery } from "./report-delivery.js";
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
  /** Base URL of Ebopark's reports (the report id is appended); none: reports are not sent. */
  eboparkReportUrl?: string;
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
  /** Ebopark's lots, its report delivery and its traffic. */
  readonly eboparkState: EboparkState;
  readonly reports: ReportDelivery;
  readonly eboparkTraffic: EboparkTraffic;
  readonly eboparkContext: EboparkContext;
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
    this.eboparkState = new EboparkState({ seed: parts.seed });
    this.reports = new ReportDelivery(
      {
        url: parts.eboparkReportUrl,
        partnerId: parts.ebopark.partnerId,
        secretKey: parts.ebopark.secretKey,
        retries: parts.callbackRetries,
        retryDelayMs: parts.callbackRetryDelayMs,
      },
      this.faults,
    );
    this.eboparkTraffic = new EboparkTraffic(this.eboparkState, this.reports, parts.trafficPerSecond);
    this.eboparkContext = { options: this.ebopark, lots: this.eboparkState, state: this.state };
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

  /** Seeded state again (both platforms); faults, the calls log and the sent callbacks and reports cleared. Tokens stay valid. */
  reset(): void {
    this.state.reset();
    this.eboparkState.reset();
    this.faults.clear();
    this.calls.length = 0;
    this.delivery.sent.length = 0;
    this.delivery.dropped.length = 0;
    this.traffic.events.length = 0;
    this.reports.sent.length = 0;
    this.reports.dropped.length = 0;
    this.eboparkTraffic.events.length = 0;
  }

  close(): void {
    this.traffic.stop();
    this.eboparkTraffic.stop();
    this.delivery.close();
    this.reports.close();
    for (const [timer, resolve] of this.holds) {
      clearTimeout(timer);
      resolve();
    }
    this.holds.clear();
  }
}
