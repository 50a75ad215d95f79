import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineProject } from "vitest/config";

const root = path.resolve(import.meta.dirname, "../..");

// Tests run inside workerd with real D1 and KV (Miniflare), configured from the root
// wrangler.toml. A real simulator runs in Node (global setup) and the Worker reaches it
// over loopback, as it would reach the platform.
export default defineProject(async () => {
  const migrations = await readD1Migrations(path.join(root, "migrations"));
  return {
    plugins: [
      cloudflareTest(({ inject }) => ({
        main: path.join(root, "workers/src/index.ts"),
        wrangler: { configPath: path.join(root, "wrangler.toml") },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            PLATFORM_BASE_URL: inject<string>("simulatorUrl"),
            EBOPARK_PARTNER_BASE_URL: inject<string>("simulatorUrl"),
            EBOPARK_UMP_BASE_URL: inject<string>("simulatorUrl"),
            SIMULATOR_URL: inject<string>("simulatorUrl"),
            PLATFORM_APP_KEY: "demo-app-key",
            PLATFORM_APP_SECRET: "demo-app-secret",
            PLATFORM_ACCOUNTS: JSON.stringify({ "second-app-key": "second-app-secret" }),
            // Two Ebopark partners; the simulator pushes as demo-partner.
            EBOPARK_PARTNERS: JSON.stringify({
              "demo-partner": "demo-ebopark-secret",
              "partner-2": "second-ebopark-secret",
            }),
            ADMIN_TOKEN: "test-admin-token",
            READ_TOKEN: "test-read-token",
            // The webhook sink and the simulator are on loopback, as a local n8n is with `npm start`.
            ALLOW_LOOPBACK_SUBSCRIBERS: "on",
            WEBHOOK_SINK_URL: inject<string>("webhookSinkUrl"),
            // Deliveries retry after 1, 2, 4 s and give up after 4 attempts, so tests wait seconds, not hours.
            DELIVERY_RETRY_BASE_SECONDS: "1",
            DELIVERY_MAX_ATTEMPTS: "4",
            DELIVERY_TIMEOUT_MS: "3000",
            // The cron does not reconcile in tests (other tests count platform calls); records.test.ts runs it itself.
            RECONCILE: "off",
          },
          // Deliver queued messages quickly in tests (the default batch timeout is seconds).
          queueConsumers: {
            "parkbridge-deliveries": {
              maxBatchTimeout: 0.05,
              maxBatchSize: 10,
              maxRetries: 20,
              retryDelay: 0,
              deadLetterQueue: "parkbridge-deliveries-dlq",
            },
            "parkbridge-deliveries-dlq": { maxBatchTimeout: 0.05 },
            "parkbridge-expiry": { maxBatchTimeout: 0.05, maxBatchSize: 1, maxRetries: 5, retryDelay: 0 },
            "parkbridge-records": { maxBatchTimeout: 0.05, maxBatchSize: 1, maxRetries: 3, retryDelay: 0 },
          },
        },
      })),
    ],
    test: {
      name: "workers",
      include: [path.join(root, "test/workers/**/*.test.ts")],
      setupFiles: [path.join(root, "test/workers/apply-migrations.ts")],
      globalSetup: [path.join(root, "test/workers/global-setup.ts")],
      testTimeout: 30_000,
      hookTimeout: 60_000,
    },
  };
});
