// Checks the run of test/n8n/e2e/workflow.json by `n8n execute --rawOutput` and the simulator's state.
// n8n writes the run through its logger: with N8N_LOG_OUTPUT=file that is one JSON line whose
// message is the run itself.
// Usage: node check-output.mjs <simulator url> <log of workflow.json's run> <log of the daily-report example's run>
import { readFileSync } from "node:fs";

const [simUrl, workflowLog, reportLog] = process.argv.slice(2);
const failures = [];
const check = (ok, what) => {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures.push(what);
};

/** The run n8n logged, and a reader of each node's output items. */
function readRun(file) {
  const messages = readFileSync(file, "utf8")
    .split("\n")
    .map((line) => {
      try {
        return JSON.parse(line).message;
      } catch {
        return undefined;
      }
    })
    .filter((message) => typeof message === "string" && message.startsWith("{"));
  if (messages.length === 0) throw new Error(`n8n logged no run in ${file}`);
  const run = JSON.parse(messages.at(-1));
  const runData = run.data?.resultData?.runData;
  if (!runData) throw new Error(`no runData in ${file}`);
  const error = run.data?.resultData?.error;
  if (error) throw new Error(`the workflow failed: ${JSON.stringify(error).slice(0, 1000)}`);
  return (name) => runData[name]?.[0]?.data?.main?.[0]?.map((item) => item.json) ?? [];
}

// --- test/n8n/e2e/workflow.json ----------------------------------------------------------------
let out = readRun(workflowLog);

const added = out("Authorise Visitor")[0];
check(added?.success === true && added.vehicleCode === "鲁A2E2E8", "Authorise Visitor reported success for 鲁A2E2E8");
const stats = out("Space Counts")[0];
check(stats?.parkingId === "park1" && Number.isInteger(stats?.totalLot), "Space Counts returned park1's totalLot");
const listed = out("Authorised Vehicles");
check(
  listed.some((v) => v.vehicleCode === "鲁A2E2E8"),
  `Authorised Vehicles (${listed.length}) include 鲁A2E2E8`,
);
check(out("Monthly Subscription").length === 1, "Monthly Subscription (Ebopark AddMonthCarV2) answered");

const cst = (ms) => new Date(ms + 8 * 3600_000).toISOString().slice(0, 10);
const q = async (parkingId, plate) =>
  (
    await fetch(`${simUrl}/__sim/authorisations?parkingId=${parkingId}&vehicleCode=${encodeURIComponent(plate)}`)
  ).json();
const [visitor] = await q("park1", "鲁A2E2E8");
const now = Date.now();
check(visitor?.vehicleType === "2" && visitor?.remark === "n8n e2e", "the simulator holds 鲁A2E2E8 as a free vehicle");
check(
  visitor?.startTime === cst(now) && visitor?.endTime === cst(now + 2 * 86_400_000),
  `its dates are today and today+2 in UTC+8 (${visitor?.startTime} → ${visitor?.endTime})`,
);
const monthly = await q("park2", "京AE2E66");
check(monthly.length === 1, "the simulator holds 京AE2E66 in park2 (Ebopark monthly)");

// --- examples/daily-occupancy-report.json -------------------------------------------------------
out = readRun(reportLog);
const state = await (await fetch(`${simUrl}/__sim/state`)).json();
const lots = state.lots ?? [];
const counts = out("Get Space Counts");
check(counts.length === lots.length && lots.length === 3, `the report read the space counts of ${counts.length} lots`);
const [summary] = out("Summary");
const simTotal = lots.reduce((sum, lot) => sum + lot.stats.totalLot, 0);
const simUsed = lots.reduce((sum, lot) => sum + lot.stats.usedLot, 0);
check(
  summary?.lots === 3 && summary.totalLot === simTotal && summary.usedLot === simUsed,
  `its totals match the simulator's (${summary?.usedLot}/${summary?.totalLot} vs ${simUsed}/${simTotal})`,
);
check(
  lots.every((lot) => (summary?.report ?? "").includes(`${lot.name}: ${lot.stats.usedLot}/${lot.stats.totalLot} used`)),
  "it has one line per lot, by name",
);

if (failures.length) {
  console.error(`${failures.length} check(s) failed`);
  process.exit(1);
}
console.log("all end-to-end checks passed");
