// Checks the run of test/n8n/e2e/workflow.json by `n8n execute --rawOutput` and the simulator's state.
// n8n 1.x writes the run through its logger: with N8N_LOG_OUTPUT=file that is one JSON line whose
// message is the run itself.
// Usage: node check-output.mjs <n8n log file> <simulator url>
import { readFileSync } from "node:fs";

const [file, simUrl] = process.argv.slice(2);
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
const runData = run.data?.resultData?.runData ?? run.resultData?.runData ?? run.runData;
if (!runData) throw new Error(`no runData in the output:\n${text.slice(0, 2000)}`);
const error = run.data?.resultData?.error ?? run.resultData?.error;
if (error) throw new Error(`the workflow failed: ${JSON.stringify(error).slice(0, 1000)}`);
const out = (name) => runData[name]?.[0]?.data?.main?.[0]?.map((item) => item.json) ?? [];
const failures = [];
const check = (ok, what) => {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures.push(what);
};

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

if (failures.length) {
  console.error(`${failures.length} check(s) failed`);
  process.exit(1);
}
console.log("all end-to-end checks passed");
