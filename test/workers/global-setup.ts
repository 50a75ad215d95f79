import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    simulatorUrl: string;
  }
}

// One real simulator for the Workers tests, on an ephemeral loopback port.
export default async function setup(project: TestProject) {
  const { startSimulator } = await import("@parkbridge/simulator");
  const simulator = await startSimulator({ port: 0, seed: 7 });
  project.provide("simulatorUrl", simulator.url);
  return async () => {
    await simulator.close();
  };
}
