import { runSweepBench } from "./sweep.js";
const t = Date.now();
const r = await runSweepBench({ due: 1000, ledgers: [1000, 100_000], notYetDue: 5000, repetitions: 1 }, (l) => console.log(((Date.now() - t) / 1000).toFixed(0), l));
console.log(JSON.stringify(r.ledgers.map((l) => ({ size: l.size, runs: l.runs, q: l.queryMs.slice(0, 3) }))), r.queryPlan);
