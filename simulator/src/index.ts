/**
 * @parkbridge/simulator: a local, seeded simulator of the parking open platform and Ebopark,
 * with signed callbacks, traffic and faults on demand. `startSimulator()` runs it in-process.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { CallbackBody, SentCallback } from "./delivery.js";
import type { EboparkState } from "./ebopark-state.js";
import type { EboparkTraffic } from "./ebopark-traffic.js";
import type { FaultRule, StoredFault } from "./faults.js";
import type { EboparkReportBody, SentReport } from "./report-delivery.js";
import type { CallRecord } from "./server.js";
import { createRequestListener } from "./server.js";
import { Simulator } from "./simulator.js";
import type { SimulatorState } from "./state.js";
import type { Account } from "./tokens.js";
import type { Traffic } from "./traffic.js";

export type { CallbackBody, SentCallback } from "./delivery.js";
export type * from "./ebopark-model.js";
export { EBOPARK_LOT_PLANS, type EboparkSnapshot, EboparkState, temporaryFee } from "./ebopark-state.js";
export { type FaultKind, type FaultRule, faultKinds, type StoredFault } from "./faults.js";
export { encodeGbk } from "./gbk.js";
export type * from "./model.js";
export type { EboparkReportBody, SentReport } from "./report-delivery.js";
export type { CallRecord } from "./server.js";
export { SimulatorState, type StateSnapshot } from "./state.js";
export { type Account, TOKEN_FAILURE_MSG } from "./tokens.js";

export interface SimulatorOptions {
  /** Default 8788; 0 = ephemeral. */
  port?: number;
  /** Default "127.0.0.1". */
  host?: string;
  /** Default 1. */
  seed?: number;
  /** Default [{ appKey: "demo-app-key", appSecret: "demo-app-secret" }] (every lot). `parkingIds` limits an account to its lots. */
  accounts?: Account[];
  /** Default 7200. */
  tokenTtlSeconds?: number;
  /** Where signed callbacks go (none if absent). */
  callbackUrl?: string;
  /** Which account signs callbacks (default: the first). */
  callbackAppKey?: string;
  /** Events per second while traffic runs (default 1). */
  trafficPerSecond?: number;
  /** Start driving traffic at once (default false). */
  traffic?: boolean;
  /** Retries of a non-2xx delivery (default 3). */
  callbackRetries?: number;
  /** First retry delay, ms, doubled each retry (default 500). */
  callbackRetryDelayMs?: number;
  /** Seeded authorised vehicles per lot (default 50). */
  vehicleCount?: number;
  /** The platform's clock for its platform operations (default Date.now), for harnesses that model time. */
  clock?: () => number;
  /** Default "demo-partner". */
  eboparkPartnerId?: string;
  /** Default "demo-ebopark-secret". */
  eboparkSecretKey?: string;
  /** CPGS appKey, default "demo-cpgs-key". */
  eboparkAppKey?: string;
  /**
   * Where Ebopark's signed reports go: a base URL, the report id appended (the Worker's
   * `http://127.0.0.1:8787/callbacks/ebopark` → `…/callbacks/ebopark/vehicleEntry`). None if absent.
   */
  eboparkReportUrl?: string;
}

export interface RunningSimulator {
  /** e.g. "http://127.0.0.1:8788" */
  url: string;
  port: number;
  /** In-process inspection and direct setup. */
  state: SimulatorState;
  faults: { add(rule: FaultRule): string; remove(id: string): boolean; clear(): void; list(): StoredFault[] };
  traffic: {
    start(ratePerSecond?: number): void;
    stop(): void;
    /** Generates and delivers `count` events now; resolves after their delivery attempts. */
    step(count?: number): Promise<SentCallback[]>;
    /** Deterministic single events (undefined: already inside / not inside). */
    vehicleEnters: Traffic["vehicleEnters"];
    vehicleLeaves: Traffic["vehicleLeaves"];
    cameraStatus: Traffic["cameraStatus"];
    visitorRegisters: Traffic["visitorRegisters"];
    /** Resolves when the events the running traffic has queued are delivered. */
    drain(): Promise<unknown>;
    /** Every event generated, delivered or not. */
    readonly events: Traffic["events"];
    readonly running: boolean;
  };
  /** Every delivery attempt, and the callbacks a dropCallback fault kept back. */
  callbacks: { sent: SentCallback[]; dropped: CallbackBody[] };
  /** Every platform and Ebopark request received. */
  calls: CallRecord[];
  /** Ebopark's lots: their state, their traffic (signed reports) and every report delivery attempt. */
  ebopark: {
    state: EboparkState;
    traffic: {
      start(ratePerSecond?: number): void;
      stop(): void;
      /** Generates `count` events now (each one or two reports); resolves after their delivery attempts. */
      step(count?: number): Promise<SentReport[]>;
      vehicleEnters: EboparkTraffic["vehicleEnters"];
      vehicleLeaves: EboparkTraffic["vehicleLeaves"];
      abnormalLift: EboparkTraffic["abnormalLift"];
      deviceStatus: EboparkTraffic["deviceStatus"];
      lotInfo: EboparkTraffic["lotInfo"];
      drain(): Promise<unknown>;
      /** Every report generated, delivered or not. */
      readonly events: EboparkReportBody[];
      readonly running: boolean;
    };
    /** Every report delivery attempt, and the reports a dropCallback fault kept back. */
    reports: { sent: SentReport[]; dropped: EboparkReportBody[] };
  };
  /** Invalidates every issued token now. */
  expireTokens(): void;
  /** Seeded state again; faults, calls and sent callbacks cleared. */
  reset(): void;
  /** Stops traffic and deliveries, closes sockets. */
  close(): Promise<void>;
}

export const DEFAULT_ACCOUNT = { appKey: "demo-app-key", appSecret: "demo-app-secret" } as const;

export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const accounts = options.accounts?.length ? options.accounts : [{ ...DEFAULT_ACCOUNT }];
  const callbackAccount = options.callbackAppKey
    ? accounts.find((a) => a.appKey === options.callbackAppKey)
    : accounts[0];
  if (!callbackAccount) throw new Error(`callbackAppKey ${options.callbackAppKey} is not one of the accounts`);

  const sim = new Simulator({
    seed: options.seed ?? 1,
    vehicleCount: options.vehicleCount ?? 50,
    accounts,
    tokenTtlSeconds: options.tokenTtlSeconds ?? 7200,
    callbackUrl: options.callbackUrl,
    callbackAccount,
    callbackRetries: options.callbackRetries ?? 3,
    callbackRetryDelayMs: options.callbackRetryDelayMs ?? 500,
    trafficPerSecond: options.trafficPerSecond ?? 1,
    ...(options.clock ? { clock: options.clock } : {}),
    ebopark: {
      partnerId: options.eboparkPartnerId ?? "demo-partner",
      secretKey: options.eboparkSecretKey ?? "demo-ebopark-secret",
      appKey: options.eboparkAppKey ?? "demo-cpgs-key",
    },
    eboparkReportUrl: options.eboparkReportUrl,
  });

  const server = createServer(createRequestListener(sim));
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 8788, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  if (options.traffic) {
    sim.traffic.start();
    sim.eboparkTraffic.start();
  }

  const traffic = sim.traffic;
  const eboparkTraffic = sim.eboparkTraffic;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    state: sim.state,
    faults: {
      add: (rule) => sim.faults.add(rule),
      remove: (id) => sim.faults.remove(id),
      clear: () => sim.faults.clear(),
      list: () => sim.faults.list(),
    },
    traffic: {
      start: (rate) => traffic.start(rate),
      stop: () => traffic.stop(),
      step: (count) => traffic.step(count),
      vehicleEnters: (...args) => traffic.vehicleEnters(...args),
      vehicleLeaves: (...args) => traffic.vehicleLeaves(...args),
      cameraStatus: (...args) => traffic.cameraStatus(...args),
      visitorRegisters: (...args) => traffic.visitorRegisters(...args),
      drain: () => traffic.drain(),
      get events() {
        return traffic.events;
      },
      get running() {
        return traffic.running;
      },
    },
    callbacks: { sent: sim.delivery.sent, dropped: sim.delivery.dropped },
    calls: sim.calls,
    ebopark: {
      state: sim.eboparkState,
      traffic: {
        start: (rate) => eboparkTraffic.start(rate),
        stop: () => eboparkTraffic.stop(),
        step: (count) => eboparkTraffic.step(count),
        vehicleEnters: (...args) => eboparkTraffic.vehicleEnters(...args),
        vehicleLeaves: (...args) => eboparkTraffic.vehicleLeaves(...args),
        abnormalLift: (...args) => eboparkTraffic.abnormalLift(...args),
        deviceStatus: (...args) => eboparkTraffic.deviceStatus(...args),
        lotInfo: (...args) => eboparkTraffic.lotInfo(...args),
        drain: () => eboparkTraffic.drain(),
        get events() {
          return eboparkTraffic.events;
        },
        get running() {
          return eboparkTraffic.running;
        },
      },
      reports: { sent: sim.reports.sent, dropped: sim.reports.dropped },
    },
    expireTokens: () => sim.tokens.expireAll(),
    reset: () => sim.reset(),
    close: async () => {
      sim.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
