/** The login form of the status page. It never echoes what was typed. */
import { html } from "hono/html";
import { type Html, layout } from "./layout.js";

export function loginPage(options: { error?: string } = {}): Html {
  return layout({
    title: "Log in · parkbridge status",
    body: html`<main>
  <form class="card login" method="post" action="/login">
    <h1>parkbridge <span class="zh" lang="zh-CN">停车场状态</span></h1>
    <p class="muted">Live status of the parking lots. Log in with the Worker's admin token.</p>
    <label for="token">Admin token <span class="zh" lang="zh-CN">管理令牌</span></label>
    <input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
    ${options.error ? html`<p class="error" role="alert">${options.error}</p>` : ""}
    <button class="primary" type="submit">Log in <span lang="zh-CN">登录</span></button>
  </form>
</main>`,
  });
}
