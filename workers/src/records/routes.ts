/**
 * On-demand backfills: `POST /api/backfill {parkingId, from, to}` opens a job over any range
 * (after installing, after an outage), cut into the platform's 24 h windows; the reconciliation's
 * runs work it off within the same budgets as the cron's passes (after them); `GET
 * /api/backfill/{id}` shows its progress window by window.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { backfillBody, backfillIdParams, formatPlatformTime, MAX_BACKFILL_DAYS } from "@parkbridge/shared";
import { BEARER_SCHEME } from "../api/auth.js";
import { accountOfLot } from "../callbacks/live-state.js";
import { accountsOf } from "../lib/config.js";
import { badInput, bodyErrorResponses, errorResponse, notFound } from "../lib/errors.js";
import { createRouter, named } from "../lib/openapi-app.js";
import { parseInstant } from "../visitors/instant.js";
import { type JobRow, openBackfill, readJob, type WindowSummary } from "./jobs.js";
import { recordSourceOf } from "./source.js";

const security = [{ [BEARER_SCHEME]: [] }];
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const BackfillWindowSchema = z.object({
  index: z.number().int(),
  from: z.string().openapi({ description: "ISO 8601, UTC" }),
  to: z.string().openapi({ description: "ISO 8601, UTC (included)" }),
  status: z.enum(["pending", "done", "failed"]),
  pagesRead: z.number().int(),
  records: z.number().int().openapi({ description: "Records read in the window" }),
  recovered: z.number().int().openapi({ description: "Accesses stored from records: their callback never came" }),
  attached: z.number().int().openapi({ description: "Records whose access a callback had stored (recordId attached)" }),
  unusable: z.number().int().openapi({ description: "Records that cannot be an access (skipped)" }),
  unusableReason: z.string().nullable(),
  failedReads: z.number().int().openapi({ description: "Failed reads in a row (retried with backoff)" }),
  lastError: z.string().nullable().openapi({ description: "The last failed read's error (the platform's msg)" }),
});

const BackfillSchema = z
  .object({
    id: z.string(),
    parkingId: z.string(),
    appKey: z.string(),
    from: z.string().openapi({ description: "ISO 8601, UTC" }),
    to: z.string().openapi({ description: "ISO 8601, UTC (included)" }),
    fromLocal: z.string().openapi({ description: "yyyy-MM-dd HH:mm:ss, UTC+8" }),
    toLocal: z.string().openapi({ description: "yyyy-MM-dd HH:mm:ss, UTC+8" }),
    status: z.enum(["open", "done", "failed"]).openapi({
      description:
        "open: windows left to read; done: every window read; failed: a window could not be read (see windows)",
    }),
    progress: z.object({
      windows: z.number().int(),
      done: z.number().int(),
      failed: z.number().int(),
      pending: z.number().int(),
      records: z.number().int(),
      recovered: z.number().int(),
      attached: z.number().int(),
      unusable: z.number().int(),
    }),
    windows: z.array(BackfillWindowSchema),
    createdAt: z.string(),
    finishedAt: z.string().nullable(),
  })
  .openapi("Backfill");

function toBackfill(job: JobRow, windows: WindowSummary[]) {
  const count = (status: WindowSummary["status"]) => windows.filter((w) => w.status === status).length;
  const sum = (key: "records" | "recovered" | "attached" | "unusable") => windows.reduce((n, w) => n + w[key], 0);
  return {
    id: job.id,
    parkingId: job.parking_id,
    appKey: job.app_key,
    from: iso(job.from_at) as string,
    to: iso(job.to_at) as string,
    fromLocal: formatPlatformTime(job.from_at, "second"),
    toLocal: formatPlatformTime(job.to_at, "second"),
    status: job.status,
    progress: {
      windows: job.windows,
      done: count("done"),
      failed: count("failed"),
      pending: count("pending"),
      records: sum("records"),
      recovered: sum("recovered"),
      attached: sum("attached"),
      unusable: sum("unusable"),
    },
    windows: windows.map((w) => ({
      index: w.idx,
      from: iso(w.from_at) as string,
      to: iso(w.to_at) as string,
      status: w.status,
      pagesRead: w.pages,
      records: w.records,
      recovered: w.recovered,
      attached: w.attached,
      unusable: w.unusable,
      unusableReason: w.unusable_reason,
      failedReads: w.attempts,
      lastError: w.last_error,
    })),
    createdAt: iso(job.created_at) as string,
    finishedAt: iso(job.finished_at),
  };
}

export const backfillRoutes = createRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/api/backfill",
      tags: ["History"],
      summary: "Fill a range of a lot's history from the platform's access records",
      description:
        "Opens a job over the range, read in the platform's 24 h windows by the reconciliation's runs (after the cron's passes, within the same budgets). Accesses missing from the history are stored with source platform-records and delivered to subscribers; ones already stored get their recordId. Safe to repeat: each access is stored once.",
      security,
      request: {
        body: { required: true, content: { "application/json": { schema: named(backfillBody, "BackfillRequest") } } },
      },
      responses: {
        202: {
          description: "Opened: follow it at GET /api/backfill/{id}",
          content: { "application/json": { schema: BackfillSchema } },
        },
        ...bodyErrorResponses,
        401: errorResponse("Missing or wrong bearer token"),
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const now = Date.now();
      const from = Math.floor(parseInstant(body.from, "from", "start") / 1000) * 1000;
      const to = Math.floor(Math.min(body.to ? parseInstant(body.to, "to", "end") : now, now) / 1000) * 1000;
      if (from > to)
        throw badInput(body.to ? "to" : "from", body.to ? "must not be before from" : "must not be in the future");
      if (to - from > MAX_BACKFILL_DAYS * 86_400_000) {
        throw badInput("to", `the range must not span more than ${MAX_BACKFILL_DAYS} days`);
      }
      const accounts = accountsOf(c.env);
      let appKey = body.appKey;
      if (appKey !== undefined && !accounts.has(appKey)) {
        throw badInput("appKey", `is not one of this Worker's platform accounts (PLATFORM_APP_KEY, PLATFORM_ACCOUNTS)`);
      }
      appKey ??=
        (
          await c.env.DB.prepare(
            "SELECT app_key FROM record_lots WHERE parking_id = ? AND removed_at IS NULL ORDER BY listed_at LIMIT 1",
          )
            .bind(body.parkingId)
            .first<{ app_key: string }>()
        )?.app_key ??
        (await accountOfLot(c.env.DB, body.parkingId)) ??
        c.env.PLATFORM_APP_KEY;
      const source = recordSourceOf("open");
      const id = await openBackfill(c.env.DB, {
        platform: source.platform,
        appKey,
        parkingId: body.parkingId,
        from,
        to,
        requestedBy: "api",
        now,
        maxWindowMs: source.maxWindowMs,
      });
      // A run at once, rather than at the next minute's cron (the queue's invocation has a budget of its own).
      if (c.env.RECORDS) {
        c.executionCtx.waitUntil(
          c.env.RECORDS.send({ task: { kind: "run" }, attempt: 1, now, sentAt: Date.now() }).catch((error) =>
            console.warn("backfill: run not sent, the cron starts it", String(error)),
          ),
        );
      }
      const job = (await readJob(c.env.DB, id)) as NonNullable<Awaited<ReturnType<typeof readJob>>>;
      return c.json(toBackfill(job.job, job.windows), 202);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/api/backfill/{id}",
      tags: ["History"],
      summary: "A backfill's progress",
      security,
      request: { params: backfillIdParams },
      responses: {
        200: { description: "The job and its windows", content: { "application/json": { schema: BackfillSchema } } },
        401: errorResponse("Missing or wrong bearer token"),
        404: errorResponse("No such backfill"),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const found = await readJob(c.env.DB, id);
      if (found?.job.kind !== "backfill") throw notFound(`backfill ${id}`);
      return c.json(toBackfill(found.job, found.windows), 200);
    },
  );
