#!/usr/bin/env bash
# End-to-end run of the parkbridge n8n nodes in a real n8n (2.40.7 on the project's Node 24):
#   1. installs n8n from the npm registry into ~/.cache/parkbridge/n8n2-e2e (once; ~5 min, 2.6 GB),
#   2. builds and packs n8n-nodes-parkbridge, unpacks the tarball as a custom extension,
#   3. starts the simulator on a free port, imports credentials, test/n8n/e2e/workflow.json and
#      examples/daily-occupancy-report.json,
#   4. runs both with `n8n execute --id`, checks their output and the simulator's state,
#   5. runs the whole chain (test/n8n/e2e/chain.ts): simulator → Worker (wrangler dev) → queue →
#      n8n with edge- and direct-mode triggers → the platform, exactly once per delivery (also for
#      10 copies at once and after an n8n restart), the latency from callback to action, and the
#      example workflows against a local stand-in for the WeCom, DingTalk and Feishu robots,
#   6. stops everything it started.
# Standalone: `bash scripts/n8n-e2e.sh` from anywhere, after `npm install` at the root (its Node 24
# runs n8n). Exits non-zero on any failure.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Outside the clone, so a fresh clone on the same machine (CI) reuses it; override with PARKBRIDGE_N8N_CACHE.
CACHE="${PARKBRIDGE_N8N_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/parkbridge/n8n2-e2e}"
# The newest n8n 2 whose whole dependency tree the registry here serves (2.41.x needs versions it lacks).
N8N_VERSION="2.40.7"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/parkbridge-n8n-e2e.XXXXXX")"
SIM_PID=""
N8N_PID=""

cleanup() {
  if [[ -n "$N8N_PID" ]] && kill -0 "$N8N_PID" 2>/dev/null; then kill "$N8N_PID" 2>/dev/null || true; wait "$N8N_PID" 2>/dev/null || true; fi
  if [[ -n "$SIM_PID" ]] && kill -0 "$SIM_PID" 2>/dev/null; then kill "$SIM_PID" 2>/dev/null || true; wait "$SIM_PID" 2>/dev/null || true; fi
  if [[ "${PARKBRIDGE_E2E_KEEP:-}" == 1 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

log() { printf '[n8n-e2e] %s\n' "$*"; }

# --- 1. n8n, in its own folder outside the workspaces, on the root's Node 24 ------------------
# n8n 2 needs Node >= 24: the root devDependency node@24 is that Node, as node_modules/.bin/node.
# (Its binary stays through later `npm install`s; the package it was copied from does not.)
NODE_BIN="$ROOT/node_modules/.bin/node"
[[ -x "$NODE_BIN" ]] || { log "no $NODE_BIN: run npm install at the root first"; exit 1; }
NODE_MAJOR="$("$NODE_BIN" -p 'process.versions.node.split(".")[0]')"
[[ "$NODE_MAJOR" -ge 24 ]] || { log "$NODE_BIN is Node $("$NODE_BIN" -v); n8n 2 needs 24: run npm install at the root"; exit 1; }
export PATH="$(dirname "$(readlink -f "$NODE_BIN")"):$PATH"
log "node $(node -v)"

if [[ ! -f "$CACHE/node_modules/n8n/package.json" ]] || ! grep -q "\"version\": \"$N8N_VERSION\"" "$CACHE/node_modules/n8n/package.json"; then
  log "installing n8n@$N8N_VERSION into $CACHE (takes a few minutes)"
  rm -rf "$CACHE/node_modules" "$CACHE/package-lock.json"
  mkdir -p "$CACHE"
  cat > "$CACHE/package.json" <<JSON
{
  "name": "parkbridge-n8n-e2e",
  "private": true,
  "dependencies": { "n8n": "$N8N_VERSION" },
  "overrides": { "xlsx": "0.18.5" }
}
JSON
  # Without install scripts: several of n8n's optional native parts (Kafka's client among them)
  # download prebuilt binaries from hosts this machine cannot reach, and none is used here. The
  # one native module n8n needs, its SQLite driver, is compiled just below.
  (cd "$CACHE" && npm install --ignore-scripts --no-audit --no-fund > "$CACHE/install.log" 2>&1) || { tail -40 "$CACHE/install.log"; exit 1; }
fi
# sqlite3 is compiled for this Node's ABI (recompiled when it changes), against this Node's own
# headers: those of the registry package of the same build (node-<platform>-<arch>@<version>, what
# node@24 installs from), cached beside n8n. nodejs.org, node-gyp's usual source, is not reachable.
SQLITE_BUILD="$CACHE/node_modules/sqlite3/build/Release"
NODE_ABI="$(node -p process.versions.modules)"
if [[ ! -f "$SQLITE_BUILD/node_sqlite3.node" || "$(cat "$SQLITE_BUILD/.node-abi" 2>/dev/null)" != "$NODE_ABI" ]]; then
  NODE_VERSION="$(node -p process.versions.node)"
  NODE_PACKAGE="$(node -p '(process.platform === "darwin" && process.arch === "arm64" ? "node-bin" : "node") + "-" + process.platform + "-" + process.arch')"
  NODE_HEADERS="$CACHE/node-headers/$NODE_VERSION"
  if [[ ! -f "$NODE_HEADERS/include/node/node.h" ]]; then
    log "fetching Node $NODE_VERSION's headers ($NODE_PACKAGE@$NODE_VERSION from the registry)"
    rm -rf "$NODE_HEADERS" && mkdir -p "$NODE_HEADERS"
    (cd "$NODE_HEADERS" && npm pack "$NODE_PACKAGE@$NODE_VERSION" --silent >pack.log 2>&1 && tar -xzf ./*.tgz --strip-components=1 && rm -rf ./*.tgz bin share) ||
      { cat "$NODE_HEADERS/pack.log"; exit 1; }
    [[ -f "$NODE_HEADERS/include/node/node.h" ]] || { log "$NODE_PACKAGE@$NODE_VERSION has no include/node"; exit 1; }
  fi
  log "compiling sqlite3 for Node $(node -v) (a minute or two)"
  (cd "$CACHE/node_modules/sqlite3" && npm exec --yes --package=node-gyp@11 -- node-gyp rebuild -j 2 --nodedir="$NODE_HEADERS" >"$CACHE/sqlite3-build.log" 2>&1) ||
    { tail -40 "$CACHE/sqlite3-build.log"; exit 1; }
  echo "$NODE_ABI" > "$SQLITE_BUILD/.node-abi"
fi
N8N="$CACHE/node_modules/n8n/bin/n8n"

# --- 2. our package, built and packed as it would be published -------------------------------
log "building n8n-nodes-parkbridge"
(cd "$ROOT" && npm run build -w n8n-nodes-parkbridge >"$WORK/build.log" 2>&1) || { tail -40 "$WORK/build.log"; exit 1; }
(cd "$ROOT/n8n-nodes" && npm pack --pack-destination "$WORK" >/dev/null 2>&1)
mkdir -p "$WORK/extensions/n8n-nodes-parkbridge"
tar -xzf "$WORK"/n8n-nodes-parkbridge-*.tgz -C "$WORK/extensions/n8n-nodes-parkbridge" --strip-components=1
log "packed $(ls "$WORK"/n8n-nodes-parkbridge-*.tgz | xargs -n1 basename)"

# --- 3. the simulator on a free port, its callbacks going to n8n's webhook -----------------------
# Free ports for n8n and its task-runner broker: their defaults (5678, 5679) may be held by a local
# n8n or another run. Both are taken at once, so they differ.
N8N_PORT="" RUNNER_PORT=""
read -r N8N_PORT RUNNER_PORT < <(node -e '
  const net = require("net");
  const a = net.createServer().listen(0, "127.0.0.1", () => {
    const b = net.createServer().listen(0, "127.0.0.1", () => {
      console.log(a.address().port, b.address().port);
      a.close();
      b.close();
    });
  });') || true
[[ -n "$N8N_PORT" && -n "$RUNNER_PORT" ]] || { log "could not find free ports"; exit 1; }
WEBHOOK_URL="http://127.0.0.1:$N8N_PORT/webhook/pbe2e-direct/parking-events"
(cd "$ROOT" && exec node_modules/.bin/tsx simulator/src/cli.ts --port 0 --seed 1 --callback-url "$WEBHOOK_URL" --callback-retries 0 >"$WORK/sim.log" 2>&1) &
SIM_PID=$!
SIM_URL=""
for _ in $(seq 1 100); do
  SIM_URL="$(grep -oE 'listening on http://[0-9.]+:[0-9]+' "$WORK/sim.log" | head -1 | sed 's/listening on //' || true)"
  [[ -n "$SIM_URL" ]] && break
  kill -0 "$SIM_PID" 2>/dev/null || { cat "$WORK/sim.log"; exit 1; }
  sleep 0.2
done
[[ -n "$SIM_URL" ]] || { log "the simulator did not start"; cat "$WORK/sim.log"; exit 1; }
log "simulator at $SIM_URL"

# --- 4. n8n: credentials, workflow, execute ------------------------------------------------------
export N8N_USER_FOLDER="$WORK/n8n-home"
export N8N_CUSTOM_EXTENSIONS="$WORK/extensions/n8n-nodes-parkbridge"
export N8N_ENCRYPTION_KEY="parkbridge-e2e-only"
export N8N_DIAGNOSTICS_ENABLED=false N8N_VERSION_NOTIFICATIONS_ENABLED=false N8N_PERSONALIZATION_ENABLED=false
# n8n writes the run of `execute --rawOutput` through its logger: to a file, read by the checker.
export N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS=false
export N8N_LOG_LEVEL=info N8N_LOG_OUTPUT=file N8N_LOG_FILE_LOCATION="$WORK/n8n.log"
export GENERIC_TIMEZONE=UTC
# Every n8n command here (execute runs Code nodes too) starts a task-runner broker: on our port.
export N8N_RUNNERS_BROKER_PORT="$RUNNER_PORT"
mkdir -p "$N8N_USER_FOLDER"

cat > "$WORK/credentials.json" <<JSON
[
  { "id": "pbE2ePlatform01", "name": "Simulator platform", "type": "parkingOpenPlatformApi",
    "data": { "baseUrl": "$SIM_URL", "appKey": "demo-app-key", "appSecret": "demo-app-secret", "sendIn": "header", "pathOverrides": "{}" } },
  { "id": "pbE2eEbopark01", "name": "Simulator Ebopark", "type": "eboparkApi",
    "data": { "partnerHost": "$SIM_URL", "cpgsHost": "$SIM_URL", "partnerId": "demo-partner", "secretKey": "demo-ebopark-secret", "appKey": "demo-cpgs-key" } }
]
JSON
# The daily-report example, as shipped, but with the custom-extension type prefix, our credential,
# and its Schedule Trigger swapped for a Manual Trigger (`n8n execute` starts from one).
node -e '
  const fs = require("fs");
  const wf = JSON.parse(fs.readFileSync(process.argv[1], "utf8").replace(/"n8n-nodes-parkbridge\./g, "\"CUSTOM.").replace(/"REPLACE_ME"/g, "\"pbE2ePlatform01\""));
  wf.id = "pbE2eExample03";
  for (const node of wf.nodes) if (node.type === "n8n-nodes-base.scheduleTrigger") Object.assign(node, { type: "n8n-nodes-base.manualTrigger", typeVersion: 1, parameters: {} });
  fs.writeFileSync(process.argv[2], JSON.stringify(wf));
' "$ROOT/examples/daily-occupancy-report.json" "$WORK/example-report.json"

log "importing credentials and workflows"
node "$N8N" import:credentials --input="$WORK/credentials.json" >"$WORK/import.log" 2>&1 || { cat "$WORK/import.log"; exit 1; }
node "$N8N" import:workflow --input="$ROOT/test/n8n/e2e/workflow.json" >>"$WORK/import.log" 2>&1 || { cat "$WORK/import.log"; exit 1; }
node "$N8N" import:workflow --input="$WORK/example-report.json" >>"$WORK/import.log" 2>&1 || { cat "$WORK/import.log"; exit 1; }
node "$N8N" import:workflow --input="$ROOT/test/n8n/e2e/trigger-workflow.json" >>"$WORK/import.log" 2>&1 || { cat "$WORK/import.log"; exit 1; }
node "$N8N" publish:workflow --id=pbE2eTrigger01 >>"$WORK/import.log" 2>&1 || { cat "$WORK/import.log"; exit 1; }

# Runs a workflow by id; n8n's log (holding the run as JSON) goes to $WORK/<id>.log.
execute() {
  log "executing workflow $1"
  if ! N8N_LOG_FILE_LOCATION="$WORK/$1.log" node "$N8N" execute --id="$1" --rawOutput >"$WORK/$1.out" 2>&1; then
    log "n8n execute $1 failed"; tail -40 "$WORK/$1.out"; tail -40 "$WORK/$1.log"; exit 1
  fi
}
execute pbE2eWorkflow01
execute pbE2eExample03

# --- 5. checks of the executed runs ------------------------------------------------------------------------------------
node "$ROOT/test/n8n/e2e/check-output.mjs" "$SIM_URL" "$WORK/pbE2eWorkflow01.log" "$WORK/pbE2eExample03.log"

# --- 6. the whole chain: simulator → Worker (wrangler dev) → queue → n8n → platform and robots ----
# This part's own simulator, Worker and robots are started by the chain (test/n8n/e2e/chain.ts).
kill "$SIM_PID" 2>/dev/null || true; wait "$SIM_PID" 2>/dev/null || true; SIM_PID=""
log "the chain: simulator → Worker → queue → n8n (port $N8N_PORT) → platform, and the example workflows"
(cd "$ROOT" && N8N_BIN="$N8N" N8N_E2E_WORK="$WORK" N8N_PORT="$N8N_PORT" node_modules/.bin/tsx test/n8n/e2e/chain.ts) ||
  { log "the chain failed"; tail -60 "$WORK/n8n-chain.log" 2>/dev/null || true; tail -20 "$WORK/n8n-chain.out" 2>/dev/null || true; exit 1; }
