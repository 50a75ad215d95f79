/**
 * The status page: lots of both platforms with their occupancy charts, lane cameras, the latest
 * passes, barriers lifted by hand, visitor grants ending soon and deliveries that failed, each
 * lot, lane and pass marked with its platform. Read-only, server-rendered, and built only from
 * the snapshot (which holds no secret: no tokens, no subscriber secrets).
 */
import type { Platform } from "@parkbridge/shared";
import { html } from "hono/html";
import { occupancyChart } from "./chart.js";
import { displayUrl, localTime, relative } from "./format.js";
import { type Html, layout } from "./layout.js";
import type {
  BarrierOverrideEntry,
  HeldEntry,
  LotStatus,
  ReconciledLot,
  Section,
  StatusSnapshot,
  UnreadWindow,
} from "./queries.js";

const zh = (text: string) => html`<span class="zh" lang="zh-CN">${text}</span>`;

const PLATFORM_LABELS: Record<Platform, { name: string; zh: string }> = {
  open: { name: "Open platform", zh: "开放平台" },
  ebopark: { name: "Ebopark", zh: "宜泊" },
};

/** Which platform a lot, lane or pass is of. */
const platformTag = (platform: Platform) => {
  const label = PLATFORM_LABELS[platform];
  return html`<span class="platform ${platform}" title="${label.name} ${label.zh}" data-platform="${platform}">${label.name}</span>`;
};

/** Vehicles inside: as reported, else capacity minus free spaces (Ebopark reports those). */
export const vehiclesInside = (lot: Pick<LotStatus, "inParkNum" | "totalSpaces" | "freeSpaces">): number | null =>
  lot.inParkNum ?? (lot.totalSpaces !== null && lot.freeSpaces !== null ? lot.totalSpaces - lot.freeSpaces : null);

function lotCard(lot: LotStatus, fromMs: number, toMs: number): Html {
  const inside = vehiclesInside(lot);
  const capacity = lot.totalSpaces ?? (inside !== null && lot.freeSpaces !== null ? inside + lot.freeSpaces : null);
  const percent = capacity && inside !== null ? Math.round((inside / capacity) * 100) : null;
  return html`<article class="card lot" data-parking-id="${lot.parkingId}" data-platform="${lot.platform}">
  <h3>${lot.lotName ? html`<span lang="zh-CN">${lot.lotName}</span> <span class="muted">${lot.parkingId}</span>` : lot.parkingId}${platformTag(lot.platform)}</h3>
  <div class="numbers">
    <span><strong data-field="inside">${inside ?? "—"}</strong>inside ${zh("在场")}</span>
    <span><strong data-field="free">${lot.freeSpaces ?? "—"}</strong>free ${zh("空位")}</span>
    ${lot.tempLot !== null ? html`<span><strong>${lot.tempLot}</strong>free for visitors ${zh("临时空位")}</span>` : ""}
    ${percent !== null ? html`<span><strong>${percent}%</strong>full</span>` : ""}
  </div>
  ${
    percent !== null
      ? html`<div class="bar${percent >= 95 ? " full" : ""}" aria-hidden="true"><span style="width:${Math.min(percent, 100)}%"></span></div>`
      : ""
  }
  ${occupancyChart({ parkingId: lot.parkingId, points: lot.points, fromMs, toMs })}
  <div class="legend"><span><i></i>vehicles inside</span><span><i class="cap"></i>capacity (inside + free)</span><span>Last report ${localTime(lot.updatedAt)}</span></div>
</article>`;
}

/** Barriers lifted by hand or outside the normal flow: who, why, what it cost. */
function overridesSection(overrides: BarrierOverrideEntry[]): Html {
  return html`<section id="barrier-overrides">
    <h2>Barriers lifted by hand ${zh("异常抬杆")}</h2>
    ${
      overrides.length
        ? html`<table>
      <thead><tr><th>Time</th><th>Plate</th><th>Lot · lane</th><th>Reason · operator</th><th>Paid of due</th></tr></thead>
      <tbody>${overrides.map(
        (item) => html`<tr data-event-id="${item.eventId}" data-platform="${item.platform}">
        <td class="time">${localTime(item.occurredAt)}</td>
        <td class="plate" lang="zh-CN">${item.vehicleCode ?? html`<span class="muted">no vehicle</span>`}</td>
        <td>${item.parkingId} · <span lang="zh-CN">${item.laneName ?? item.laneNo ?? "—"}</span> ${platformTag(item.platform)}</td>
        <td lang="zh-CN">${item.reason ?? "—"}${item.operatorName ? html` <span class="muted">· ${item.operatorName}</span>` : ""}</td>
        <td class="num">${item.incomeAmount ?? "—"} / ${item.chargeAmount ?? "—"} ¥</td>
      </tr>`,
      )}</tbody>
    </table>`
        : html`<p class="empty-note">No barrier was lifted by hand.</p>`
    }
  </section>`;
}

function more(section: Section<unknown>): Html | string {
  return section.total > section.items.length
    ? html`<p class="muted">Showing ${section.items.length} of ${section.total}; the API lists them all.</p>`
    : "";
}

function unavailable(section: Section<unknown>, what: string): Html | undefined {
  return section.available ? undefined : html`<p class="empty-note">${what} are not set up on this Worker yet.</p>`;
}

/**
 * Callbacks held unconfirmed that the platform never resent under a fresh signature: their
 * bodies were never verified, so an operator decides (the same actions as /api/held-callbacks).
 */
function heldSection(held: Section<HeldEntry>, nowMs: number): Html | string {
  if (held.available && held.total === 0) return "";
  return html`<section id="held">
    <h2>Callbacks held unconfirmed ${zh("待确认回调")}</h2>
    ${
      unavailable(held, "Held callbacks") ??
      html`<p class="muted">Each came under a timestamp and sign already used by another callback, and was never sent
      again with a fresh one. Its body is not verified: release it only if you know the event happened.</p>
    <table>
      <thead><tr><th>Received</th><th>Callback</th><th>Lot · plate (as sent)</th><th>Attempts</th><th></th></tr></thead>
      <tbody>${held.items.map(
        (item) => html`<tr data-held-id="${item.id}">
        <td class="time">${localTime(item.receivedAt)} <span class="muted">${relative(item.receivedAt, nowMs)}</span></td>
        <td>${item.callbackType}</td>
        <td>${item.parkingId ?? "—"}${item.vehicleCode ? html` · <span class="plate" lang="zh-CN">${item.vehicleCode}</span>` : ""}</td>
        <td>${item.attempts}</td>
        <td class="actions">
          <form method="post" action="/held-callbacks/${item.id}/release"><button type="submit">Release</button></form>
          <form method="post" action="/held-callbacks/${item.id}/discard"><button type="submit">Discard</button></form>
        </td>
      </tr>`,
      )}</tbody>
    </table>${more(held)}`
    }
  </section>`;
}

/**
 * The history's reconciliation with the platform's records: per lot, what it recovered in the last
 * 24 h and how far it has read; and the windows it could not read, with the platform's reason.
 */
function historySection(lots: Section<ReconciledLot>, unread: Section<UnreadWindow>, nowMs: number): Html | string {
  if (lots.available && lots.total === 0 && unread.total === 0) return "";
  return html`<section id="history">
    <h2>History from the platform's records ${zh("进出记录补齐")}</h2>
    ${
      unavailable(lots, "The platform's records") ??
      html`<p class="muted">Entries and exits whose callback never came are recovered from the platform's access records.</p>
    <table>
      <thead><tr><th>Lot</th><th>Recovered, last 24 h</th><th>Last window read</th></tr></thead>
      <tbody>${lots.items.map(
        (lot) => html`<tr data-reconciled="${lot.parkingId}">
        <td>${lot.parkingId}${lot.name ? html` <span class="muted" lang="zh-CN">${lot.name}</span>` : ""}</td>
        <td data-field="recovered">${lot.recovered24h ? html`<span class="pill warn">${lot.recovered24h}</span>` : "0"}</td>
        <td class="time">${
          lot.lastWindow
            ? html`${localTime(lot.lastWindow.from)} – ${localTime(lot.lastWindow.to)} <span class="muted">read ${relative(lot.lastWindow.readAt, nowMs)}</span>`
            : "not yet"
        }</td>
      </tr>`,
      )}</tbody>
    </table>${more(lots)}
    ${
      unread.items.length
        ? html`<h3>Windows that could not be read ${zh("读取失败")}</h3>
    <table>
      <thead><tr><th>Lot</th><th>Window</th><th>Status</th><th>Why</th></tr></thead>
      <tbody>${unread.items.map(
        (w) => html`<tr data-unread="${w.jobId}">
        <td>${w.parkingId} <span class="muted">${w.kind}</span></td>
        <td class="time">${localTime(w.from)} – ${localTime(w.to)}</td>
        <td>${
          w.status === "failed"
            ? html`<span class="pill bad">Given up</span>`
            : html`<span class="pill warn">Retrying</span>`
        } <span class="muted">${w.attempts} ${w.attempts === 1 ? "failure" : "failures"}</span></td>
        <td><div class="error-text">${w.lastError ?? ""}</div><span class="muted small">${localTime(w.updatedAt)}</span></td>
      </tr>`,
      )}</tbody>
    </table>${more(unread)}`
        : ""
    }`
    }
  </section>`;
}

export function statusPage(snapshot: StatusSnapshot, options: { refreshSeconds: number }): Html {
  const nowMs = Date.parse(snapshot.generatedAt);
  const fromMs = nowMs - snapshot.windowHours * 3_600_000;
  const offline = snapshot.lanes.filter((lane) => !lane.online);
  const inside = snapshot.lots.reduce((sum, lot) => sum + (vehiclesInside(lot) ?? 0), 0);
  const free = snapshot.lots.reduce((sum, lot) => sum + (lot.freeSpaces ?? 0), 0);
  const grants = snapshot.grantsEndingSoon;
  const deliveries = snapshot.failedDeliveries;
  const held = snapshot.heldCallbacks;

  const body = html`<header class="top">
  <h1>parkbridge ${zh("停车场实时状态")}</h1>
  <span class="meta">Updated ${localTime(snapshot.generatedAt)} (UTC+8) · times are the lots' local time, UTC+8${
    options.refreshSeconds ? html` · refreshes every ${options.refreshSeconds} s` : ""
  }</span>
  <form method="post" action="/logout"><button type="submit">Log out</button></form>
</header>
<main>
  <section class="tiles" aria-label="Summary">
    <div class="tile"><div class="value">${snapshot.lots.length}</div><div class="label">parking lots ${zh("停车场")}</div></div>
    <div class="tile"><div class="value">${inside}</div><div class="label">vehicles inside ${zh("在场车辆")}</div></div>
    <div class="tile"><div class="value">${free}</div><div class="label">free spaces ${zh("空位")}</div></div>
    <div class="tile${offline.length ? " bad" : ""}"><div class="value" data-field="offline-count">${offline.length}</div><div class="label">cameras offline ${zh("相机离线")}</div></div>
    <div class="tile${grants.total ? " warn" : ""}"><div class="value">${grants.total}</div><div class="label">visitor grants ending within ${snapshot.grantHorizonHours} h ${zh("即将到期")}</div></div>
    <div class="tile${deliveries.total ? " bad" : ""}"><div class="value">${deliveries.total}</div><div class="label">failed deliveries ${zh("投递失败")}</div></div>
    <div class="tile${held.total ? " warn" : ""}"><div class="value" data-field="held-count">${held.total}</div><div class="label">callbacks held unconfirmed ${zh("待确认回调")}</div></div>
  </section>

  <section id="lots">
    <h2>Occupancy, last ${snapshot.windowHours} hours ${zh("车位占用")}</h2>
    ${
      snapshot.lots.length
        ? html`<div class="lots">${snapshot.lots.map((lot) => lotCard(lot, fromMs, nowMs))}</div>`
        : html`<p class="empty-note">No parking lot has reported a vehicle yet.</p>`
    }
  </section>

  <div class="two">
  <section id="lanes">
    <h2>Lane cameras ${zh("车道相机")}</h2>
    ${
      snapshot.lanes.length
        ? html`<table>
      <thead><tr><th>Lot</th><th>Lane</th><th>Camera</th><th>Since</th></tr></thead>
      <tbody>${snapshot.lanes.map(
        (lane) => html`<tr data-lane="${lane.parkingId}/${lane.laneNo}" data-platform="${lane.platform}">
        <td>${lane.parkingId} ${platformTag(lane.platform)}</td>
        <td>${lane.laneName ?? lane.laneNo} <span class="muted">${lane.laneName ? lane.laneNo : ""}</span></td>
        <td>${lane.online ? html`<span class="pill ok">● Online</span>` : html`<span class="pill bad">● Offline</span>`}</td>
        <td class="time">${localTime(lane.since)} <span class="muted">${relative(lane.since, nowMs)}</span></td>
      </tr>`,
      )}</tbody>
    </table>`
        : html`<p class="empty-note">No camera has reported its status yet.</p>`
    }
  </section>

  <section id="entries">
    <h2>Latest entries and exits ${zh("最近进出")}</h2>
    ${
      snapshot.latestAccesses.length
        ? html`<table>
      <thead><tr><th>Time</th><th>Plate</th><th>Direction</th><th>Lot · lane</th></tr></thead>
      <tbody>${snapshot.latestAccesses.map(
        (entry) => html`<tr data-event-id="${entry.eventId}" data-platform="${entry.platform}">
        <td class="time">${localTime(entry.occurredAt)}</td>
        <td class="plate" lang="zh-CN">${entry.vehicleCode}</td>
        <td>${entry.direction === "in" ? html`<span class="pill ok">→ In 入场</span>` : html`<span class="pill info">← Out 出场</span>`}</td>
        <td>${entry.parkingId} · <span lang="zh-CN">${entry.laneName ?? (entry.laneNo || "—")}</span> ${platformTag(entry.platform)}</td>
      </tr>`,
      )}</tbody>
    </table>`
        : html`<p class="empty-note">No vehicle has passed yet.</p>`
    }
  </section>
  </div>

  <div class="two">
  <section id="grants">
    <h2>Visitor access ending soon ${zh("即将到期的访客")}</h2>
    ${
      unavailable(grants, "Visitor grants") ??
      (grants.items.length
        ? html`<table>
      <thead><tr><th>Plate</th><th>Visitor</th><th>Lot</th><th>Ends</th></tr></thead>
      <tbody>${grants.items.map(
        (grant) => html`<tr data-grant-id="${grant.id}">
        <td class="plate" lang="zh-CN">${grant.vehicleCode}</td>
        <td lang="zh-CN">${grant.visitorName}</td>
        <td>${grant.parkingId}</td>
        <td class="time">${localTime(grant.endsAt)} <span class="pill warn">${relative(grant.endsAt, nowMs)}</span></td>
      </tr>`,
      )}</tbody>
    </table>${more(grants)}`
        : html`<p class="empty-note">No visitor access ends in the next ${snapshot.grantHorizonHours} hours.</p>`)
    }
  </section>

  <section id="deliveries">
    <h2>Deliveries that failed ${zh("投递失败")}</h2>
    ${
      unavailable(deliveries, "Deliveries") ??
      (deliveries.items.length
        ? html`<table>
      <thead><tr><th>Subscriber</th><th>Event</th><th>Status</th><th>Last error</th></tr></thead>
      <tbody>${deliveries.items.map(
        (delivery) => html`<tr data-delivery-id="${delivery.id}">
        <td>${delivery.subscriptionUrl ? displayUrl(delivery.subscriptionUrl) : "(deleted subscription)"}</td>
        <td>${delivery.event ?? "—"}${delivery.parkingId ? html` <span class="muted">${delivery.parkingId}</span>` : ""}</td>
        <td>${
          delivery.status === "dead"
            ? html`<span class="pill bad">Dead</span>`
            : html`<span class="pill warn">Failed, retrying</span>`
        } <span class="muted">${delivery.attempts} ${delivery.attempts === 1 ? "attempt" : "attempts"}</span></td>
        <td><div class="error-text">${delivery.lastError ?? ""}</div><span class="muted small">${localTime(delivery.updatedAt)}</span></td>
      </tr>`,
      )}</tbody>
    </table>${more(deliveries)}`
        : html`<p class="empty-note">Every delivery went through.</p>`)
    }
  </section>
  </div>

  ${overridesSection(snapshot.barrierOverrides)}

  ${heldSection(held, nowMs)}

  ${historySection(snapshot.reconciledLots, snapshot.unreadWindows, nowMs)}

  <footer>parkbridge edge Worker · read-only view of D1 · the same data as <code>/api/*</code></footer>
</main>`;

  return layout({
    title: `parkbridge status${offline.length ? ` · ${offline.length} offline` : ""}`,
    body,
    refreshSeconds: options.refreshSeconds,
  });
}
