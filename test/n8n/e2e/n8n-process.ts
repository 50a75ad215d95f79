/**
 * A real n8n for the end-to-end chain: its CLI (import, publish), `n8n start` in its own process
 * group (stopped and started again to show what survives a restart), and the REST API a user's
 * editor calls (owner setup, login, publish and unpublish, executions), with n8n's cookie and the
 * browser id it is bound to.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { promisify } from "node:util";
import { stopGroup } from "../../e2e/helpers/wrangler-dev";

const run = promisify(execFile);

export interface N8nOptions {
  /** n8n's bin script (run with this process's Node, 24). */
  bin: string;
  port: number;
  /** Where its own stdout goes (n8n's log goes where N8N_LOG_* say). */
  logFile: string;
  env: NodeJS.ProcessEnv;
}

export const OWNER = {
  email: "owner@parkbridge.test",
  firstName: "Park",
  lastName: "Bridge",
  password: "Parkbridge-e2e-1",
};

export class N8n {
  private child: ChildProcess | undefined;
  private cookie = "";
  readonly url: string;
  private readonly browserId = "parkbridge-e2e-browser";

  constructor(private readonly options: N8nOptions) {
    this.url = `http://127.0.0.1:${options.port}`;
  }

  /** An n8n CLI command (n8n must not be running for imports). */
  async cli(...args: string[]): Promise<string> {
    const { stdout } = await run(process.execPath, [this.options.bin, ...args], {
      env: this.options.env,
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  }

  async start(): Promise<void> {
    const out = createWriteStream(this.options.logFile, { flags: "a" });
    this.child = spawn(process.execPath, [this.options.bin, "start"], {
      env: { ...this.options.env, N8N_PORT: String(this.options.port), N8N_LISTEN_ADDRESS: "127.0.0.1" },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    this.child.stdout?.pipe(out);
    this.child.stderr?.pipe(out);
    const deadline = Date.now() + 180_000;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null)
        throw new Error(`n8n exited (${this.child.exitCode}); see ${this.options.logFile}`);
      try {
        if ((await fetch(`${this.url}/healthz/readiness`)).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    throw new Error(`n8n was not ready within 180 s; see ${this.options.logFile}`);
  }

  async stop(): Promise<void> {
    if (this.child) await stopGroup(this.child, 20_000);
    this.child = undefined;
    this.cookie = "";
  }

  /** The REST API as the editor calls it: JSON, the auth cookie, the browser id it is bound to. */
  async rest<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.url}/rest${path}`, {
      method,
      headers: {
        "content-type": "application/json",
        "browser-id": this.browserId,
        ...(this.cookie ? { cookie: this.cookie } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const setCookie = response.headers.get("set-cookie");
    if (setCookie) this.cookie = setCookie.split(";")[0] as string;
    const text = await response.text();
    if (!response.ok) throw new Error(`n8n ${method} /rest${path}: HTTP ${response.status} ${text.slice(0, 500)}`);
    const parsed = text ? (JSON.parse(text) as { data?: T }) : {};
    return (parsed.data ?? parsed) as T;
  }

  /** The owner account (a fresh instance asks for one), then a session. */
  async signIn(): Promise<void> {
    try {
      await this.rest("POST", "/owner/setup", OWNER);
    } catch (error) {
      if (!/HTTP 400/.test(String(error))) throw error;
    }
    await this.rest("POST", "/login", { emailOrLdapLoginId: OWNER.email, password: OWNER.password });
  }

  /** Publishes (activates) a workflow as the editor's Publish button does. */
  async publish(id: string): Promise<void> {
    const workflow = await this.rest<{ versionId: string }>("GET", `/workflows/${id}`);
    await this.rest("POST", `/workflows/${id}/activate`, { versionId: workflow.versionId });
  }

  async unpublish(id: string): Promise<void> {
    await this.rest("POST", `/workflows/${id}/deactivate`, {});
  }

  /** The executions n8n recorded for a workflow (finished or not). */
  async executions(workflowId: string): Promise<Array<{ id: string; status: string; mode: string }>> {
    const filter = encodeURIComponent(JSON.stringify({ workflowId }));
    const page = await this.rest<{ results: Array<{ id: string; status: string; mode: string }> }>(
      "GET",
      `/executions?filter=${filter}&limit=250`,
    );
    return page.results;
  }
}
