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
  const simulator = await startSimulator({ port: 0, seed: 7 });
  project.provide("simulatorUrl", simulator.url);
  // Subscribers of the delivery tests: records requests, fails when told to.
  const sink = await startWebhookSink();
  project.provide("webhookSinkUrl", sink.url);
  return async () => {
    await sink.close();
    await simulator.close();
  };
}
