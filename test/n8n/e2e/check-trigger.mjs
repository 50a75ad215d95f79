// The Parking Events Trigger (direct mode) in a running n8n: the simulator's signed callback is
// accepted and answered, the workflow it starts issues a coupon on the platform, and a forged
// callback is refused with 401.
// Usage: node check-trigger.mjs <simulator url> <webhook url>
const [simUrl, webhookUrl] = process.argv.slice(2);
const plate = "鲁AE2E77";
const failures = [];
const check = (ok, what) => {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures.push(what);
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The webhook is registered shortly after n8n reports ready: retry the first delivery briefly.
let sent;
for (let attempt = 0; attempt < 30; attempt++) {
  const answer = await fetch(`${simUrl}/__sim/vehicles/enter`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ parkingId: "park1", vehicleCode: plate }),
  });
  const body = await answer.json();
  sent = body.sent?.[0];
  if (sent?.status === 200) break;
  // Not delivered: let the vehicle out again and retry once n8n has registered the webhook.
  await fetch(`${simUrl}/__sim/vehicles/leave`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ parkingId: "park1", vehicleCode: plate }),
  });
  await sleep(1000);
}
check(sent?.status === 200, `the simulator's signed vehicleAccess callback was accepted by n8n (HTTP ${sent?.status})`);

let coupon;
for (let i = 0; i < 30 && !coupon; i++) {
  const state = await (await fetch(`${simUrl}/__sim/state`)).json();
  coupon = state.lots.find((lot) => lot.parkingId === "park1")?.coupons.find((c) => c.vehicleCode === plate);
  if (!coupon) await sleep(500);
}
check(coupon?.couponType === 2 && coupon?.discount === 1, "the workflow it started issued the coupon on the platform");

const forged = await fetch(webhookUrl, {
  method: "POST",
  headers: {
    "content-type": "application/json",
    appKey: "demo-app-key",
    timestamp: String(Date.now()),
    sign: "0".repeat(32),
  },
  body: JSON.stringify({
    callbackType: "PARKING_CAMERA_ONLINE",
    data: { parkingId: "park1", laneNo: "1", time: "2026-11-22 10:00:00", status: 0 },
  }),
});
const forgedBody = await forged.json().catch(() => ({}));
check(
  forged.status === 401 && forgedBody.reason === "bad_sign",
  `a forged callback was refused (HTTP ${forged.status}, ${forgedBody.reason})`,
);

if (failures.length) {
  console.error(`${failures.length} trigger check(s) failed`);
  process.exit(1);
}
console.log("all trigger checks passed");
