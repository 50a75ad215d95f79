#!/usr/bin/env node
// The safety net of `npm start` (scripts/start.mjs): started by it in a process group of its
// own, it reads "group <pgid>" lines on stdin, one per long-running child the script starts,
// and "done" when the script has stopped them itself. If stdin closes without "done", the
// script died without stopping them (SIGKILL, a crash): the reaper stops those groups, so
// nothing keeps ports 8787 and 8788. Plain JavaScript, Node 20 and later.
const groups = new Set();
let done = false;
let buffered = "";

// Ctrl-C and the like are the script's to handle; the reaper only listens to its pipe.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => {});

const alive = (pgid) => {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
};

function signalAll(signal) {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, signal);
    } catch {
      // gone already
    }
  }
}

process.stdin.on("data", (chunk) => {
  buffered += chunk.toString();
  const lines = buffered.split("\n");
  buffered = lines.pop() ?? "";
  for (const line of lines) {
    if (line === "done") done = true;
    else if (/^group \d+$/.test(line)) groups.add(Number(line.slice("group ".length)));
  }
});

process.stdin.on("end", async () => {
  if (done || groups.size === 0) process.exit(0);
  process.stderr.write(`[parkbridge] npm start ended without stopping its processes: stopping them\n`);
  signalAll("SIGTERM");
  const deadline = Date.now() + 5000;
  while ([...groups].some(alive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  signalAll("SIGKILL");
  process.exit(0);
});
