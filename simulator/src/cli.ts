/**
 * `npm run simulator -- --port 8788 --seed 1 --callback-url http://127.0.0.1:8787/callbacks --traffic-rate 2`
 * (add `--ebopark-report-url http://127.0.0.1:8787/callbacks/ebopark` for Ebopark's reports)
 * Starts the simulator and prints where it listens; stops cleanly on SIGINT/SIGTERM.
 */
import { parseArgs } from "node:util";
import { DEFAULT_ACCOUNT, type SimulatorOptions, startSimulator } from "./index.js";

const USAGE = `Usage: npm run simulator -- [options]
  --port <n>             port to listen on (default 8788; 0 = any free port)
  --host <addr>          address to bind (default 127.0.0.1)
  --seed <n>             seed of the generated data and traffic (default 1)
  --vehicles <n>         authorised vehicles per lot (default 50)
  --app-key <key>        platform account appKey (default ${DEFAULT_ACCOUNT.appKey})
  --app-secret <secret>  its appSecret (default ${DEFAULT_ACCOUNT.appSecret})
  --token-ttl <seconds>  AccessToken lifetime (default 7200)
  --callback-url <url>   where signed callbacks are POSTed (default: none)
  --ebopark-report-url <url>
                         base URL of Ebopark's signed reports; the report id is appended (default: none)
  --traffic              start driving traffic at once (both platforms)
  --traffic-rate <n>     events per second while traffic runs (default 1; implies --traffic)
  --callback-retries <n> retries of a non-2xx delivery (default 3)
  --help                 this text`;

function number(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min) {
    console.error(`--${name} must be a number ≥ ${min}, got ${JSON.stringify(value)}\n\n${USAGE}`);
    process.exit(2);
  }
  return n;
}

async function main() {
  let parsed: ReturnType<typeof parse>;
  function parse() {
    return parseArgs({
      options: {
        port: { type: "string" },
        host: { type: "string" },
        seed: { type: "string" },
        vehicles: { type: "string" },
        "app-key": { type: "string" },
        "app-secret": { type: "string" },
        "token-ttl": { type: "string" },
        "callback-url": { type: "string" },
        "ebopark-report-url": { type: "string" },
        traffic: { type: "boolean" },
        "traffic-rate": { type: "string" },
        "callback-retries": { type: "string" },
        help: { type: "boolean" },
      },
      strict: true,
    });
  }
  try {
    parsed = parse();
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  const v = parsed.values;
  if (v.help) {
    console.log(USAGE);
    return;
  }
  const trafficRate = number("traffic-rate", v["traffic-rate"], 0.001);
  const options: SimulatorOptions = {
    port: number("port", v.port, 0),
    host: v.host,
    seed: number("seed", v.seed, 0),
    vehicleCount: number("vehicles", v.vehicles, 0),
    tokenTtlSeconds: number("token-ttl", v["token-ttl"], 1),
    callbackUrl: v["callback-url"],
    eboparkReportUrl: v["ebopark-report-url"],
    trafficPerSecond: trafficRate,
    traffic: Boolean(v.traffic || trafficRate),
    callbackRetries: number("callback-retries", v["callback-retries"], 0),
  };
  if (v["app-key"] || v["app-secret"]) {
    options.accounts = [
      { appKey: v["app-key"] ?? DEFAULT_ACCOUNT.appKey, appSecret: v["app-secret"] ?? DEFAULT_ACCOUNT.appSecret },
    ];
  }
  const sim = await startSimulator(options);
  const lots = sim.state.lots();
  console.log(`parkbridge simulator listening on ${sim.url} (seed ${options.seed ?? 1})`);
  console.log(`  platform:   POST ${sim.url}/{operationId}   (AccessToken header or ?AccessToken=)`);
  console.log(
    `  ebopark:    POST ${sim.url}/partner/findByCarNo, POST ${sim.url}/partnerService/<Name>, POST ${sim.url}/ebo/park/query/carParkSession`,
  );
  console.log(`  control:    ${sim.url}/__sim/state`);
  console.log(`  lots:       ${lots.map((l) => `${l.parkingId} ${l.name}`).join(", ")}`);
  console.log(
    `  ebopark lots: ${sim.ebopark.state
      .lots()
      .map((l) => `${l.parkCode} ${l.parkName}`)
      .join(", ")}`,
  );
  console.log(
    `  callbacks:  ${options.callbackUrl ?? "(none: --callback-url)"}; traffic ${options.traffic ? `on, ${trafficRate ?? 1}/s` : "off"}`,
  );
  console.log(`  reports:    ${options.eboparkReportUrl ?? "(none: --ebopark-report-url)"}`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the simulator`);
    sim.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

main().catch((error: unknown) => {
  console.error(`the simulator could not start: ${(error as Error).message}`);
  process.exit(1);
});
