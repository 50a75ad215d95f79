import { defineConfig } from "vitest/config";

// Two kinds of test: plain Node (protocol package, simulator, n8n nodes, end-to-end, what the
// bundles ship) and the Workers runtime (workerd with real D1/KV, see test/workers/vitest.config.ts).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "node",
          environment: "node",
          include: [
            "test/shared/**/*.test.ts",
            "test/simulator/**/*.test.ts",
            "test/n8n/**/*.test.ts",
            "test/e2e/**/*.test.ts",
            "test/build/**/*.test.ts",
          ],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      "test/workers/vitest.config.ts",
    ],
  },
});
