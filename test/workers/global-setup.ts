import type { TestProject } from "vitest/node";
import { startWebhookSink } from "./webhook-sink.js";

declare module "vitest" {
  export interface ProvidedContext {
    simulatorUrl: string;
    webhookSinkUrl: string;
  }
}

// One real simulator for the Workers tests, on an ephemeral loopback port.
export default async function setup(project: TestProject) {
  const { startSimulator } = await import("@parkbridge/simulator");
  // Subscribers of the delivery tests: records requests, fails when told to. Also where the
  // simulator's callbacks land (hook "platform-callbacks"): a test relays them into the Worker
  // (workerd is not reachable from Node), so the platform's own faults apply on the way.
  const sink = await startWebhookSink();
  // Two accounts, as the Worker's PLATFORM_APP_KEY and PLATFORM_ACCOUNTS: the second owns park3 only.
  const simulator = await startSimulator({
    port: 0,
    seed: 7,
    callbackUrl: `${sink.url}/hooks/platform-callbacks`,
    accounts: [
      { appKey: "demo-app-key", appSecret: "demo-app-secret" },
      { appKey: "second-app-key", appSecret: "second-app-secret", parkingIds: ["park3"] },
    ],
  });
  project.provide("simulatorUrl", simulator.url);
  project.provide("webhookSinkUrl", sink.url);
  return async () => {
    await sink.close();
    await simulator.close();
  };
}
