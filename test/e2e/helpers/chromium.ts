/**
 * A real headless Chromium (Debian's package, installed by scripts/ensure-chromium.sh) driven
 * by playwright-core, with a fresh profile each time.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type BrowserContext, chromium } from "playwright-core";

export const CHROMIUM_PATH = process.env.PARKBRIDGE_CHROMIUM ?? "/usr/bin/chromium";

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface RunningBrowser {
  context: BrowserContext;
  close: () => Promise<void>;
}

export async function launchChromium(viewport = { width: 1280, height: 900 }): Promise<RunningBrowser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`no Chromium at ${CHROMIUM_PATH}: run scripts/ensure-chromium.sh (or set PARKBRIDGE_CHROMIUM)`);
  }
  const userDataDir = mkdtempSync(path.join(tmpdir(), "parkbridge-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
    locale: "zh-CN",
    timezoneId: "Asia/Shanghai",
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
