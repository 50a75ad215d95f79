/**
 * The HTML shell shared by the login form and the status page: one inline stylesheet, no
 * scripts, no external assets (the CSP below forbids them), fonts that cover Chinese text.
 */
import { html, raw } from "hono/html";

export type Html = ReturnType<typeof html>;

/** Sent with every status/login response. Nothing is cached, nothing may frame it. */
export const pageHeaders: Record<string, string> = {
  "content-security-policy":
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "cache-control": "no-store",
  // Not no-referrer: with it, browsers send "Origin: null" on the page's own form posts.
  "referrer-policy": "same-origin",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
};

const styles = `
:root {
  --bg: #f4f6f9; --card: #ffffff; --text: #1c2430; --muted: #5f6b7a; --line: #e3e8ef;
  --accent: #2563eb; --accent-soft: rgba(37, 99, 235, 0.14); --ok: #15803d; --ok-soft: #dcfce7;
  --bad: #b91c1c; --bad-soft: #fee2e2; --warn: #a16207; --warn-soft: #fef3c7;
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #11151c; --card: #1a2029; --text: #e6eaf0; --muted: #9aa5b4; --line: #2a323e;
    --accent: #60a5fa; --accent-soft: rgba(96, 165, 250, 0.18); --ok: #4ade80; --ok-soft: #14311f;
    --bad: #f87171; --bad-soft: #3b1717; --warn: #fbbf24; --warn-soft: #3a2e0d;
  }
}
* { box-sizing: border-box; }
body {
  margin: 0; background: var(--bg); color: var(--text); line-height: 1.5; font-size: 15px;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei",
    "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "Helvetica Neue", Arial, sans-serif;
}
header.top {
  display: flex; align-items: center; gap: 16px; flex-wrap: wrap; padding: 14px 28px;
  background: var(--card); border-bottom: 1px solid var(--line);
}
header.top h1 { font-size: 20px; margin: 0; }
header.top .meta { color: var(--muted); font-size: 13px; }
header.top form { margin-left: auto; }
main { max-width: 1280px; margin: 0 auto; padding: 20px 28px 40px; }
.zh { color: var(--muted); font-weight: normal; margin-left: 6px; }
h2 { font-size: 17px; margin: 28px 0 10px; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px; }
.tile { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 12px 16px; }
.tile .value { font-size: 28px; font-weight: 650; font-variant-numeric: tabular-nums; }
.tile .label { color: var(--muted); font-size: 13px; }
.tile.bad .value { color: var(--bad); }
.tile.warn .value { color: var(--warn); }
/* auto-fill: a lone lot keeps a card's width, so its chart keeps the scale of its labels. */
.lots { display: grid; grid-template-columns: repeat(auto-fill, minmax(460px, 1fr)); gap: 14px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; }
.lot h3 { margin: 0; font-size: 16px; }
.lot .numbers { display: flex; gap: 22px; flex-wrap: wrap; margin: 6px 0 4px; color: var(--muted); font-size: 13px; }
.lot .numbers strong { color: var(--text); font-size: 22px; font-variant-numeric: tabular-nums; margin-right: 4px; }
.legend { display: flex; gap: 16px; color: var(--muted); font-size: 12px; margin-top: 4px; flex-wrap: wrap; }
.legend i { display: inline-block; width: 18px; height: 0; vertical-align: middle; margin-right: 5px; border-top: 2px solid var(--accent); }
.legend i.cap { border-top: 2px dashed var(--bad); }
.bar { height: 8px; background: var(--line); border-radius: 4px; overflow: hidden; margin: 6px 0 10px; }
.bar span { display: block; height: 100%; background: var(--accent); }
.bar.full span { background: var(--bad); }
svg.chart { width: 100%; height: auto; display: block; }
svg.chart .grid { stroke: var(--line); stroke-width: 1; }
svg.chart .tick { stroke: var(--muted); }
svg.chart .axis { fill: var(--muted); font-size: 13px; font-family: inherit; }
svg.chart .line { fill: none; stroke: var(--accent); stroke-width: 2; stroke-linejoin: round; }
svg.chart .area { fill: var(--accent-soft); stroke: none; }
svg.chart .capacity { stroke: var(--bad); stroke-dasharray: 5 4; stroke-width: 1.2; }
svg.chart .empty { fill: var(--muted); font-size: 14px; font-family: inherit; }
table { width: 100%; border-collapse: collapse; background: var(--card); border: 1px solid var(--line); border-radius: 10px; overflow: hidden; }
th, td { text-align: left; padding: 8px 12px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; text-transform: uppercase; letter-spacing: 0.03em; color: var(--muted); font-weight: 600; }
tr:last-child td { border-bottom: none; }
td.num, td.time { font-variant-numeric: tabular-nums; white-space: nowrap; }
.plate { font-weight: 600; letter-spacing: 0.04em; white-space: nowrap; }
.pill { display: inline-block; padding: 1px 10px; border-radius: 999px; font-size: 13px; font-weight: 600; white-space: nowrap; }
.pill.ok { background: var(--ok-soft); color: var(--ok); }
.pill.bad { background: var(--bad-soft); color: var(--bad); }
.pill.warn { background: var(--warn-soft); color: var(--warn); }
.pill.info { background: var(--accent-soft); color: var(--accent); }
.platform { display: inline-block; padding: 0 7px; border-radius: 5px; font-size: 11px; font-weight: 650; letter-spacing: 0.02em; vertical-align: 2px; border: 1px solid var(--line); color: var(--muted); white-space: nowrap; }
.platform.ebopark { border-color: var(--warn); color: var(--warn); }
.lot h3 .platform { margin-left: 8px; }
.muted { color: var(--muted); }
.small { font-size: 12px; }
.empty-note { color: var(--muted); background: var(--card); border: 1px dashed var(--line); border-radius: 10px; padding: 12px 16px; }
.error-text { max-width: 420px; overflow-wrap: anywhere; color: var(--bad); font-size: 13px; }
.two { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 0 18px; }
button, input { font: inherit; }
button { border: 1px solid var(--line); background: var(--card); color: var(--text); border-radius: 8px; padding: 6px 14px; cursor: pointer; }
td.actions form { display: inline; margin-right: 6px; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
.login { max-width: 380px; margin: 12vh auto; }
.login h1 { font-size: 22px; margin: 0 0 4px; }
.login label { display: block; margin: 16px 0 6px; font-weight: 600; }
.login input { width: 100%; padding: 9px 12px; border: 1px solid var(--line); border-radius: 8px; background: var(--bg); color: var(--text); }
.login button { width: 100%; margin-top: 16px; padding: 9px; }
.login .error { background: var(--bad-soft); color: var(--bad); border-radius: 8px; padding: 8px 12px; margin-top: 14px; }
footer { color: var(--muted); font-size: 12px; margin-top: 28px; }
`;

export function layout(options: { title: string; body: Html; refreshSeconds?: number }): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
${options.refreshSeconds ? html`<meta http-equiv="refresh" content="${options.refreshSeconds}">` : ""}
<title>${options.title}</title>
<style>${raw(styles)}</style>
</head>
<body>
${options.body}
</body>
</html>`;
}
