import type { D1Migration } from "cloudflare:test";
import type { Env as WorkerEnv } from "../../workers/src/env.js";

// The test bindings: the Worker's own, plus what the test config adds.
declare global {
  namespace Cloudflare {
    // Types `exports.default` (the Worker under test) from "cloudflare:workers".
    interface GlobalProps {
      mainModule: typeof import("../../workers/src/index.js");
    }
    interface Env extends WorkerEnv {
      TEST_MIGRATIONS: D1Migration[];
      SIMULATOR_URL: string;
      WEBHOOK_SINK_URL: string;
    }
  }
}
