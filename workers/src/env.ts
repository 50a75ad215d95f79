/** The Worker's bindings, as declared in wrangler.toml (vars) and set as secrets. */
export interface Env {
  /** History: raw and normalised events, visitor grants, deliveries (source of truth). */
  DB: D1Database;
  /** Live state: per-lot occupancy and per-lane camera status (rebuildable from DB). */
  LIVE: KVNamespace;

  PLATFORM_BASE_URL: string;
  /** The platform account this Worker acts as (secret). */
  PLATFORM_APP_KEY: string;
  PLATFORM_APP_SECRET: string;
  /** More accounts whose callbacks land here: JSON {"appKey": "appSecret"} (secret, optional). */
  PLATFORM_ACCOUNTS?: string;
  /**
   * Ebopark partner accounts whose reports land at /callbacks/ebopark/{report}: JSON
   * {"<partnerid>": "<secretKey>"}, several per Worker (secret, optional: unset, every report is refused 401).
   */
  EBOPARK_PARTNERS?: string;
  /** Ebopark's partnerService host (default: the local simulator). */
  EBOPARK_PARTNER_BASE_URL?: string;
  /** Ebopark's ump host, where carParkSession is (default: EBOPARK_PARTNER_BASE_URL, as Ebopark's test environment). */
  EBOPARK_UMP_BASE_URL?: string;
  /** Bearer token of every /api/* route and the status page (secret). */
  ADMIN_TOKEN: string;
  /** The admin token being rotated to: accepted beside ADMIN_TOKEN during the change (secret, optional). */
  ADMIN_TOKEN_NEXT?: string;
  /** Read-only token: events, lots, lanes, its own subscriptions (secret, optional; api/auth.ts). */
  READ_TOKEN?: string;
  /** The read-only token being rotated to (secret, optional). */
  READ_TOKEN_NEXT?: string;
  /** Bearer attempts per client address (Workers Rate Limiting; optional: unbound, no limit). */
  API_LIMITER?: RateLimit;
  /** "on": subscriptions may point at loopback (plain http too), for a local n8n. Local development only. */
  ALLOW_LOOPBACK_SUBSCRIBERS?: string;
  /** Status-page login attempts per client address (Workers Rate Limiting; optional: unbound, no limit). */
  LOGIN_LIMITER?: RateLimit;
  CALLBACK_WINDOW_SECONDS?: string;
  /** How far an event's own time may lead its receipt, seconds, before it is marked suspect (default 600). */
  CALLBACK_MAX_SKEW_SECONDS?: string;
  /**
   * The platform's egress addresses, if known: CIDRs (IPv4 or IPv6, comma or space separated),
   * matched on CF-Connecting-IP. A callback from one of them under a (timestamp, sign) pair already
   * used with another body is stored directly instead of held (optional: unset, every such callback is held).
   */
  CALLBACK_ALLOWED_IPS?: string;
  /** How far ahead a visitor booking made on the platform may end, days (default 366). */
  VISITOR_BOOKING_HORIZON_DAYS?: string;
  /** Per-request timeout of platform calls, ms (default 10000). */
  PLATFORM_TIMEOUT_MS?: string;
  /** Platform requests one visitor-expiry sweep run may make, token and list calls included (default 40). */
  SWEEP_MAX_PLATFORM_CALLS?: string;
  /** Failed revocation attempts before a grant is marked `failed` (default 5). */
  SWEEP_MAX_ATTEMPTS?: string;
  /** D1 statements one sweep run may run, counted conservatively (default 40; D1 allows 50 per invocation on the free plan). */
  SWEEP_MAX_D1_QUERIES?: string;
  /** Visitor expiry in rounds: scan and revoke tasks (sweep/consumer.ts). Unbound: the cron sweeps alone. */
  EXPIRY?: Queue<import("./sweep/invocation.js").ExpiryMessage>;
  /** Platform requests one expiry consumer invocation may make (default 45; free plan 50 subrequests). */
  EXPIRY_MAX_PLATFORM_CALLS?: string;
  /** D1 statements one expiry consumer invocation may run (default 45; free plan 50 queries). */
  EXPIRY_MAX_D1_QUERIES?: string;
  /** Pages of a lot's authorisations one scan task reads (default 4: about 10 ms of CPU). */
  EXPIRY_SCAN_PAGES?: string;
  /** Platform requests an expiry invocation keeps in flight at once (default 1, at most 6). */
  EXPIRY_PARALLEL_CALLS?: string;
  /** Grants one expiry round (one lot's scan) ends at most (default 5000). */
  EXPIRY_ROUND_GRANTS?: string;
  /** "on": between cron ticks, a delayed queue message wakes the expiry for grants ending before the next tick (default "off"). */
  EXPIRY_WAKE_UP?: string;
  /** "off": the cron does not reconcile the history with the platform's records (default on; backfills still need a run). */
  RECONCILE?: string;
  /** The history's reconciliation runs (records/run.ts): one per message. Unbound: the cron runs it itself. */
  RECORDS?: Queue<import("./records/invocation.js").RecordsMessage>;
  /** Hours of records each pass reads back (default 48; 0: no passes, backfills only). */
  RECONCILE_TRAILING_HOURS?: string;
  /** Minutes between a lot's passes (default 30). */
  RECONCILE_EVERY_MINUTES?: string;
  /** Records younger than this many minutes are left to their callbacks (default 10). */
  RECONCILE_SETTLE_MINUTES?: string;
  /** Records per listAccessRecords page (default 500; the platform allows 1000). */
  RECONCILE_PAGE_SIZE?: string;
  /** Pages one reconciliation run reads at most (default 1: its CPU time, 10 ms on the free plan). */
  RECONCILE_TASK_PAGES?: string;
  /** Platform requests one reconciliation consumer invocation may make (default 45; free plan 50 subrequests). */
  RECONCILE_MAX_PLATFORM_CALLS?: string;
  /** D1 statements one reconciliation consumer invocation may run (default 45; free plan 50 queries). */
  RECONCILE_MAX_D1_QUERIES?: string;
  /** Failed reads in a row before a window is given up (default 5). */
  RECONCILE_MAX_ATTEMPTS?: string;
  /** Days events and their raw bodies are kept, then pruned by the cron (default 180; 0: forever). docs/privacy.md. */
  RETENTION_EVENTS_DAYS?: string;
  /** Days finished deliveries are kept (default 180; 0: forever). */
  RETENTION_DELIVERIES_DAYS?: string;
  /** Days closed visitor grants and their audit rows are kept after they closed (default 180; 0: forever). */
  RETENTION_GRANTS_DAYS?: string;
  /** Rows one pruning statement deletes at most (default 200). */
  RETENTION_BATCH_ROWS?: string;
  /** D1 statements one pruning run may use (default 6; the cron's other jobs share the invocation's 50). */
  RETENTION_MAX_D1_QUERIES?: string;
  /** Event delivery to subscribers: one message per outbox row (delivery/consumer.ts). */
  DELIVERIES: Queue<import("./delivery/outbox.js").DeliveryMessage>;
  /** First retry delay of a failed delivery, seconds; doubles per attempt up to an hour (default 30). */
  DELIVERY_RETRY_BASE_SECONDS?: string;
  /** Attempts before a delivery is dead (default 10). */
  DELIVERY_MAX_ATTEMPTS?: string;
  /** Per-attempt timeout of a subscriber, ms (default 10000). */
  DELIVERY_TIMEOUT_MS?: string;
}
