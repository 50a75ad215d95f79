/**
 * Screenshots of the nodes in a real n8n (2.40, as scripts/n8n-e2e.sh installs it) in Chromium, for
 * the docs: the Parking Events Trigger's panel in both modes (Mode visible, the notice for each), a
 * Parking Open Platform node's subtitle, and an example workflow's canvas. Also checks what the
 * pictures are for: the Mode parameter is on the panel, with its notice.
 *
 *   npm run screenshots:n8n        (after `bash scripts/n8n-e2e.sh` has installed n8n once)
 *
 * Writes docs/images/n8n-*.png. Not part of CI: the pictures are committed.
 */

import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import path from "node:path";
import { launchChromium } from "../test/e2e/helpers/chromium";
import { freePort } from "../test/e2e/helpers/ports";
import { repoRoot } from "../test/e2e/helpers/wrangler-dev";
import { N8n, OWNER } from "../test/n8n/e2e/n8n-process";

const cache =
  process.env.PARKBRIDGE_N8N_CACHE ??
  path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), ".cache"), "parkbridge", "n8n2-e2e");
const bin = path.join(cache, "node_modules", "n8n", "bin", "n8n");
const images = path.join(repoRoot, "docs", "images");
const work = mkdtempSync(path.join(tmpdir(), "parkbridge-n8n-shots-"));

function log(what: string) {
  console.log(`[screenshots] ${what}`);
}

async function main() {
  log("building the package");
  execFileSync("npm", ["run", "build", "-w", "n8n-nodes-parkbridge"], { cwd: repoRoot, stdio: "ignore" });
  const extension = path.join(work, "extensions", "n8n-nodes-parkbridge");
  mkdirSync(extension, { recursive: true });
  cpSync(path.join(repoRoot, "n8n-nodes", "dist"), path.join(extension, "dist"), { recursive: true });
  cpSync(path.join(repoRoot, "n8n-nodes", "package.json"), path.join(extension, "package.json"));

  const port = await freePort();
  const n8n = new N8n({
    bin,
    port,
    logFile: path.join(work, "n8n.out"),
    env: {
      ...process.env,
      N8N_USER_FOLDER: path.join(work, "home"),
      N8N_CUSTOM_EXTENSIONS: extension,
      N8N_ENCRYPTION_KEY: "parkbridge-screenshots-only",
      N8N_DIAGNOSTICS_ENABLED: "false",
      N8N_VERSION_NOTIFICATIONS_ENABLED: "false",
      N8N_PERSONALIZATION_ENABLED: "false",
      N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: "false",
      N8N_RUNNERS_BROKER_PORT: String(await freePort()),
      N8N_LOG_OUTPUT: "file",
      N8N_LOG_FILE_LOCATION: path.join(work, "n8n.log"),
    },
  });

  const credentials = [
    {
      id: "shotEdge0000001",
      name: "Parkbridge Edge",
      type: "parkbridgeEdgeApi",
      data: { url: "https://parkbridge.example.workers.dev", adminToken: "x" },
    },
    {
      id: "shotPlatform001",
      name: "停车开放平台",
      type: "parkingOpenPlatformApi",
      data: { baseUrl: "https://open.example-parking.cn/api", appKey: "x", appSecret: "x" },
    },
    {
      id: "shotRobot000001",
      name: "值班群机器人 (钉钉)",
      type: "groupRobotApi",
      data: { service: "dingtalk", webhookUrl: "https://oapi.dingtalk.com/robot/send?access_token=x", secret: "SECx" },
    },
  ];
  writeFileSync(path.join(work, "credentials.json"), JSON.stringify(credentials));
  await n8n.cli("import:credentials", `--input=${path.join(work, "credentials.json")}`);
  const asImported = (file: string, id: string) => {
    const workflow = JSON.parse(
      readFileSync(path.join(repoRoot, "examples", file), "utf8").replace(/"n8n-nodes-parkbridge\./g, '"CUSTOM.'),
    ) as { id?: string; nodes: Array<{ credentials?: Record<string, { id: string }> }> };
    workflow.id = id;
    for (const node of workflow.nodes) {
      for (const [type, credential] of Object.entries(node.credentials ?? {})) {
        credential.id = credentials.find((c) => c.type === type)?.id ?? credential.id;
      }
    }
    const out = path.join(work, `${id}.json`);
    writeFileSync(out, JSON.stringify(workflow));
    return out;
  };
  const workflows = {
    camera: asImported("lane-camera-offline-alert.json", "shotCamera00001"),
    approval: asImported("visitor-approval.json", "shotApproval001"),
    occupancy: asImported("occupancy-alert.json", "shotOccupancy01"),
  };
  for (const file of Object.values(workflows)) await n8n.cli("import:workflow", `--input=${file}`);

  log(`starting n8n on ${port}`);
  await n8n.start();
  await n8n.signIn();
  const browser = await launchChromium({ width: 1440, height: 900 });
  try {
    const page = await browser.context.newPage();
    await page.goto(`${n8n.url}/signin`);
    await page.getByLabel(/email/i).fill(OWNER.email);
    await page.getByLabel(/password/i).fill(OWNER.password);
    await page.getByRole("button", { name: /sign in/i }).click();
    await page.waitForURL(/\/home|\/workflows/, { timeout: 60_000 });

    const openCanvas = async (id: string) => {
      await page.goto(`${n8n.url}/workflow/${id}`);
      await page.locator('[data-test-id="canvas-node"]').first().waitFor({ timeout: 60_000 });
      await page.keyboard.press("Shift+1"); // zoom to fit
      await page.waitForTimeout(1500);
    };
    const openNode = async (name: string) => {
      await page.locator('[data-test-id="canvas-node"]', { hasText: name }).first().dblclick();
      await page.locator('[data-test-id="ndv"]').first().waitFor({ timeout: 30_000 });
      await page.waitForTimeout(1500);
    };
    const closeNode = async () => {
      await page.keyboard.press("Escape");
      await page.waitForTimeout(800);
    };

    // The trigger, edge mode (the example's own setting), then switched to direct mode.
    await openCanvas("shotCamera00001");
    await openNode("Parking Events");
    const ndv = page.locator('[data-test-id="ndv"]').first();
    const modeShown = await ndv.getByText("Mode", { exact: true }).first().isVisible();
    const edgeNotice = await ndv
      .getByText(/subscribes to the Parkbridge Edge Worker/)
      .first()
      .isVisible();
    await page.screenshot({ path: path.join(images, "n8n-trigger-edge-mode.png") });
    log(`trigger panel, edge mode: Mode visible ${modeShown}, notice visible ${edgeNotice}`);
    await ndv.locator('[data-test-id="parameter-input-mode"]').first().click();
    await page.locator(".el-select-dropdown__item", { hasText: "Directly From the Platform" }).first().click();
    await page.waitForTimeout(1000);
    // The platform's credential for direct mode, chosen as a user would.
    await ndv.locator('[data-test-id="node-credentials-select"]').first().click();
    await page.locator(".el-select-dropdown__item", { hasText: "停车开放平台" }).first().click();
    await page.waitForTimeout(1000);
    const directNotice = await ndv
      .getByText(/Set this node’s Production URL/)
      .first()
      .isVisible();
    await page.screenshot({ path: path.join(images, "n8n-trigger-direct-mode.png") });
    log(`trigger panel, direct mode: callback-URL notice visible ${directNotice}`);
    await closeNode();

    // An example workflow's canvas (subtitles under the nodes).
    await openCanvas("shotApproval001");
    await page.screenshot({ path: path.join(images, "n8n-example-visitor-approval.png") });
    await openCanvas("shotOccupancy01");
    await page.screenshot({ path: path.join(images, "n8n-example-occupancy-alert.png") });
    const subtitle = await page.getByText("Get Space Counts", { exact: true }).count();
    log(`occupancy canvas: operation subtitles shown ${subtitle > 0}`);

    if (!modeShown || !edgeNotice || !directNotice)
      throw new Error("the trigger's panel does not show its mode and notices");
    log(`wrote ${images}/n8n-*.png`);
  } finally {
    await browser.close();
    await n8n.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
