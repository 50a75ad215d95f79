/**
 * The requests the edge Worker's API takes, once: the Worker validates with these schemas (and
 * names them for its OpenAPI document, workers/src/lib/openapi-app.ts `named()`), and the
 * Parkbridge Edge n8n node generates its fields from them. Plain zod, so both can read them: `.meta()` holds what the
 * OpenAPI document shows (description, example); `edgeFields` holds what the node adds (its
 * labels, how it sends a date-time, names for coded values).
 */
import { z } from "zod";
import { parkingEventDescriptions, parkingEventKinds, parkingEventTitles, platforms } from "../events/vocabulary.js";
import { plateFilterSchema, plateInputSchema } from "../platform/plate-input.js";
import { checkSubscriberUrl, MAX_SUBSCRIBER_URL_LENGTH } from "./subscriber-url.js";

/** What an edge API field tells the Parkbridge Edge node, beyond its OpenAPI description and example. */
export interface EdgeFieldMeta {
  /** The label in the n8n editor. */
  title: string;
  /**
   * For times, what the node sends for an n8n date-time: `local`, the lot's wall-clock time
   * (yyyy-MM-dd HH:mm:ss, which the API reads as UTC+8; a bare date is sent as it is);
   * `instant`, ISO 8601 UTC.
   */
  time?: "local" | "instant";
  /** For coded values: the English name of each (default: the value, capitalised). */
  options?: ReadonlyArray<{ value: string; name: string; description?: string }>;
  /** The value the node preselects (default: the first option). */
  default?: string;
  /** A plate a person types: the node normalises it (shared/src/platform/plate-input.ts) and says what it became. */
  plate?: boolean;
}

export const edgeFields = z.registry<EdgeFieldMeta>();

/** A field's node metadata with its OpenAPI description and example, through `.optional()` and the like. */
export function edgeFieldMeta(
  schema: z.ZodType,
): (EdgeFieldMeta & { description?: string; example?: unknown }) | undefined {
  let current: z.ZodType | undefined = schema;
  let description: string | undefined;
  let example: unknown;
  while (current) {
    const open = current.meta() as { description?: string; example?: unknown } | undefined;
    description ??= open?.description;
    example ??= open?.example;
    const own = edgeFields.get(current);
    if (own) {
      return { ...own, ...(description ? { description } : {}), ...(example !== undefined ? { example } : {}) };
    }
    const def = current._zod.def as { innerType?: z.ZodType; in?: z.ZodType };
    current = def.innerType ?? def.in;
  }
  return undefined;
}

// ---- values ----------------------------------------------------------------------------------

export const grantStatuses = ["pending", "active", "expired", "revoked", "superseded", "failed", "rejected"] as const;
export type GrantStatus = (typeof grantStatuses)[number];

export const grantSources = ["api", "callback"] as const;
export type GrantSource = (typeof grantSources)[number];

/** The kinds of the one event vocabulary (both platforms), each with its English name (the nodes' and the trigger's choices). */
export const eventOptions = parkingEventKinds.map((kind) => ({
  value: kind,
  name: parkingEventTitles[kind],
  description: parkingEventDescriptions[kind],
}));

// Typed as strings: rows read back from D1 carry the event as text.
export const eventIdSchema = z.enum(parkingEventKinds as unknown as [string, ...string[]]);

/** The platforms, with their names as the editor shows them. */
export const platformOptions = [
  { value: "open", name: "Parking Open Platform", description: "The parking open platform's callbacks" },
  { value: "ebopark", name: "Ebopark", description: "Ebopark (宜泊)'s reports" },
] as const satisfies ReadonlyArray<{ value: (typeof platforms)[number]; name: string; description: string }>;

export const platformSchema = z.enum(platforms as unknown as ["open", "ebopark"]);

const platformFilter = (description: string) =>
  platformSchema.register(edgeFields, { title: "Platform", options: platformOptions }).optional().meta({ description });

/**
 * An event's provenance: pushed by the platform (`callback`: an open-platform callback or an
 * Ebopark report), or recovered from the platform's own records by reconciliation
 * (`platform-records`: its callback never came).
 */
export const eventSources = ["callback", "platform-records"] as const;
export type EventProvenance = (typeof eventSources)[number];

export const eventSourceOptions = [
  { value: "callback", name: "Callback", description: "Pushed by the platform as it happened" },
  {
    value: "platform-records",
    name: "Platform Records",
    description: "Recovered from the platform's access records: its callback never came",
  },
];

/** An ISO 8601 instant with a zone (Z or offset), normalised to UTC. */
const instant = (what: string) =>
  z
    .string()
    .refine((v) => /[Zz]|[+-]\d{2}:?\d{2}$/.test(v) && Number.isFinite(Date.parse(v)), {
      error: `must be an ISO 8601 instant with a zone, e.g. 2026-11-22T08:00:00Z (${what})`,
    })
    .transform((v) => new Date(v).toISOString());

/** The most items one page of a list may carry. */
export const MAX_EDGE_PAGE_SIZE = 500;

export const limitSchema = z.coerce
  .number({ error: "must be a whole number" })
  .int({ error: "must be a whole number" })
  .min(1, { error: "must be at least 1" })
  .max(MAX_EDGE_PAGE_SIZE, { error: `must be at most ${MAX_EDGE_PAGE_SIZE}` })
  .default(50)
  .meta({ type: "integer", minimum: 1, maximum: MAX_EDGE_PAGE_SIZE, default: 50 });

const cursor = z.string().optional();

const nonEmpty = (field: string) =>
  z
    .string()
    .trim()
    .min(1, { error: `${field} must not be empty` });

/** A start or end as the API reads it (grants, backfills): an instant with an offset, or the lot's local time. */
const timeInput = (title: string, description: string) =>
  z.string().min(1).meta({ description, example: "2026-11-22 23:59" }).register(edgeFields, { title, time: "local" });

const parkingIdFilter = z.string().min(1).register(edgeFields, { title: "Parking Lot ID" }).optional();
const plateFilter = plateFilterSchema
  .meta({
    description: "Only this plate (typed as people do: case, spaces, dots and full-width characters are normalised).",
  })
  .register(edgeFields, { title: "Plate", plate: true })
  .optional();

// ---- visitor grants ------------------------------------------------------------------------------

export const createGrantBody = z.strictObject({
  parkingId: nonEmpty("parkingId").meta({ example: "park1" }).register(edgeFields, { title: "Parking Lot ID" }),
  vehicleCode: plateInputSchema
    .meta({
      description:
        "The visitor's plate. Typed as people do (粤b·12345, 粤B 12345, full-width 粤Ｂ１２３４５): it is normalised to the platform's form (粤B12345), which the answer's vehicleCode shows.",
      example: "鲁A12345",
    })
    .register(edgeFields, { title: "Plate", plate: true }),
  visitorName: nonEmpty("visitorName")
    .max(50)
    .meta({ example: "张三" })
    .register(edgeFields, { title: "Visitor Name" }),
  visitorPhone: nonEmpty("visitorPhone")
    .max(30)
    .meta({ example: "13800138000" })
    .register(edgeFields, { title: "Visitor Phone" }),
  reason: z
    .string()
    .max(150)
    .register(edgeFields, { title: "Reason" })
    .optional()
    .meta({ description: "Shown to the lot's staff (the authorisation's remark)." }),
  laneNos: z
    .string()
    .regex(/^[^,\s]+(,[^,\s]+)*$/, { error: "must be lane numbers separated by commas" })
    .register(edgeFields, { title: "Lanes" })
    .optional()
    .meta({ description: "Lanes the visitor may use; all lanes when absent.", example: "1,2" }),
  startsAt: timeInput(
    "Starts At",
    "When access starts (default now): ISO 8601 with an offset, or local yyyy-MM-dd HH:mm[:ss] read as UTC+8.",
  ).optional(),
  endsAt: timeInput(
    "Ends At",
    "When access ends: ISO 8601 with an offset, or local yyyy-MM-dd HH:mm[:ss] read as UTC+8 (a bare date: 23:59:59 that day).",
  ),
  appKey: nonEmpty("appKey")
    .register(edgeFields, { title: "Platform Account (App Key)" })
    .optional()
    .meta({
      description:
        "The platform account (appKey) that owns the lot, one of this Worker's accounts. Default: the account whose " +
        "callbacks report the lot, else the primary account (PLATFORM_APP_KEY). The grant is changed and ended with it.",
      example: "demo-app-key",
    }),
});

export const changeGrantBody = z.strictObject({
  endsAt: timeInput("Ends At", "The new end (earlier or later), as for creation."),
});

export const grantIdParams = z.object({
  id: z.string().min(1).meta({ example: "vg_…" }).register(edgeFields, { title: "Grant ID" }),
});

/**
 * What an admin read shows of personal data (docs/privacy.md): `masked` (default) or `full`, as
 * stored. A full read is audited.
 */
export const personalDataViewSchema = z
  .enum(["masked", "full"])
  .meta({
    description:
      "masked (default): phone numbers as 138****8000 (and, for events, names as their first character); full: as stored (each full read is audited).",
  })
  .register(edgeFields, {
    title: "Personal Data",
    options: [
      { value: "masked", name: "Masked", description: "Phone numbers masked, names shortened (the default)" },
      { value: "full", name: "Full", description: "As stored; the read is audited" },
    ],
    default: "masked",
  })
  .optional();

export const listGrantsQuery = z.object({
  status: z.enum(grantStatuses).register(edgeFields, { title: "Status", default: "active" }).optional(),
  parkingId: parkingIdFilter,
  vehicleCode: plateFilter,
  source: z
    .enum(grantSources)
    .register(edgeFields, {
      title: "Source",
      options: [
        { value: "api", name: "API", description: "Granted through the API (or this node)" },
        { value: "callback", name: "Visitor Registration", description: "From the platform's visitor callback" },
      ],
    })
    .optional(),
  personalData: personalDataViewSchema,
  cursor,
  limit: limitSchema,
});

export const getGrantQuery = z.object({ personalData: personalDataViewSchema });

// ---- events and live state ------------------------------------------------------------------------

export const eventsQuery = z.object({
  type: eventIdSchema
    .register(edgeFields, { title: "Event", options: eventOptions })
    .optional()
    .meta({ description: "Only this event" }),
  platform: platformFilter("Only events of this platform"),
  parkingId: parkingIdFilter,
  vehicleCode: plateFilter,
  source: z
    .enum(eventSources)
    .register(edgeFields, { title: "Source", options: eventSourceOptions })
    .optional()
    .meta({ description: "Only events of this provenance (platform-records: recovered by reconciliation)" }),
  since: instant("since")
    .register(edgeFields, { title: "Since", time: "instant" })
    .optional()
    .meta({ description: "Received at or after, ISO 8601" }),
  until: instant("until")
    .register(edgeFields, { title: "Until", time: "instant" })
    .optional()
    .meta({ description: "Received before, ISO 8601" }),
  personalData: personalDataViewSchema,
  cursor: cursor.meta({ description: "nextCursor of the previous page" }),
  limit: limitSchema,
});
export type EventsQuery = z.output<typeof eventsQuery>;

export const lotParams = z.object({
  parkingId: z.string().min(1).register(edgeFields, { title: "Parking Lot ID" }),
});

/** Which platform's lot, where both platforms have a lot of that id (else the one that has it). */
export const lotQuery = z.object({
  platform: platformFilter("The lot's platform; needed only where both platforms report a lot of this id"),
});

export const lanesQuery = z.object({
  parkingId: parkingIdFilter,
  platform: platformFilter("Only lanes of this platform"),
});

// ---- backfill: the platform's records of a range read into the history --------------------------------

/** The longest range one backfill reads (days): 366 windows of the platform's 24 h. */
export const MAX_BACKFILL_DAYS = 366;

export const backfillBody = z.strictObject({
  parkingId: nonEmpty("parkingId").meta({ example: "park1" }).register(edgeFields, { title: "Parking Lot ID" }),
  from: timeInput(
    "From",
    "Start of the range: ISO 8601 with an offset, or local yyyy-MM-dd HH:mm[:ss] read as UTC+8 (a bare date: 00:00:00 that day).",
  ),
  to: timeInput(
    "To",
    "End of the range (default now; a later end is read as now): ISO 8601 with an offset, or local yyyy-MM-dd HH:mm[:ss] read as UTC+8 (a bare date: 23:59:59 that day).",
  ).optional(),
  appKey: nonEmpty("appKey")
    .register(edgeFields, { title: "Platform Account (App Key)" })
    .optional()
    .meta({
      description:
        "The platform account (appKey) that owns the lot, one of this Worker's accounts. Default: the account the " +
        "reconciliation reads the lot with, else the one whose callbacks report it, else the primary account.",
      example: "demo-app-key",
    }),
});

export const backfillIdParams = z.object({
  id: z.string().min(1).meta({ example: "rj_…" }).register(edgeFields, { title: "Backfill ID" }),
});

// ---- subscriptions --------------------------------------------------------------------------------

/**
 * Where deliveries go: https to a public host (subscriber-url.ts says what is refused and why).
 * Loopback passes here; the Worker accepts it only when ALLOW_LOOPBACK_SUBSCRIBERS is on.
 */
export const subscriberUrlSchema = z
  .string()
  .superRefine((value, ctx) => {
    const check = checkSubscriberUrl(value, { allowLoopback: true });
    if (!check.ok) ctx.addIssue({ code: "custom", message: check.reason, input: value });
  })
  .meta({
    format: "uri",
    maxLength: MAX_SUBSCRIBER_URL_LENGTH,
    description:
      "https URL of a public host (no credentials, at most 2,048 characters). Plain http only to loopback in local development.",
    example: "https://n8n.example.com/webhook/parkbridge",
  });

export const createSubscriptionBody = z.object({
  url: subscriberUrlSchema,
  events: z.array(eventIdSchema).min(1, { error: "must list at least one event (or be left out for all)" }).optional(),
  parkingId: z.string().trim().min(1).optional(),
  platform: platformSchema.optional().meta({ description: "Only events of this platform (default: both)" }),
  personalData: z.enum(["masked", "full"]).optional().meta({
    description:
      "What deliveries carry of personal data: masked (default: phones as 138****8000, names shortened, no raw body) or full (as stored, with the raw body): the subscription's owner chose to receive them. full needs the admin token.",
  }),
});

// ---- delivery claims (the trigger's exactly-once start) -----------------------------------------

/**
 * How long a claim holds before it lapses unconfirmed, seconds. Between the claim and its
 * confirmation the trigger does one round trip; a lease that lapses means the subscriber died in
 * between, and the next attempt of the delivery (30 s later at the earliest) may claim it again.
 */
export const DELIVERY_CLAIM_LEASE_SECONDS = 30;

export const deliveryIdParams = z.object({
  id: z.string().min(1).meta({ description: "The delivery id (the webhook-id header).", example: "dlv_…" }),
});

const claimToken = z
  .string()
  .regex(/^[A-Za-z0-9_-]{16,128}$/, { error: "must be 16 to 128 letters, digits, - or _" })
  .meta({
    description:
      "Chosen by the receiving request (random); the same token may claim again, so a claim whose answer was lost can be retried.",
    example: "b3c1d0f6a8e24c8f9a7e5d4c3b2a1908",
  });

export const claimDeliveryBody = z.strictObject({
  subscriptionId: nonEmpty("subscriptionId").meta({
    description: "The subscription the delivery was signed for.",
    example: "sub_…",
  }),
  token: claimToken,
});

export const confirmClaimBody = z.strictObject({ token: claimToken });

// ---- personal data (PIPL arts. 45 and 47: access and erasure) -----------------------------------

/**
 * One person, by plate or by phone (exactly one). A plate is read as people type it; a phone is
 * matched in its common spellings (13800138000, +86 138 0013 8000, 138-0013-8000).
 */
export const personalDataQuery = z
  .object({
    plate: plateInputSchema
      .meta({ description: "The person's plate (typed as people do; normalised).", example: "粤B12345" })
      .register(edgeFields, { title: "Plate", plate: true })
      .optional(),
    phone: z
      .string()
      .trim()
      .regex(/^\+?[0-9][0-9 ()-]{4,30}$/, { error: "must be a phone number (digits, spaces, +, -, parentheses)" })
      .meta({ description: "The person's phone number.", example: "13800138000" })
      .register(edgeFields, { title: "Phone" })
      .optional(),
  })
  .superRefine((q, context) => {
    if (q.plate === undefined && q.phone === undefined)
      context.addIssue({ code: "custom", path: ["plate"], message: "is required (or phone instead)", input: q });
    else if (q.plate !== undefined && q.phone !== undefined)
      context.addIssue({
        code: "custom",
        path: ["phone"],
        message: "must not be given with plate (one person at a time)",
        input: q,
      });
  });
export type PersonalDataQuery = z.output<typeof personalDataQuery>;

/** The personal-data audit (erasures, exports, full reads), newest first. */
export const personalDataAuditQuery = z.object({
  action: z
    .enum(["erased", "exported", "read_full"])
    .register(edgeFields, { title: "Action" })
    .optional()
    .meta({ description: "Only this action" }),
  cursor: cursor.meta({ description: "nextCursor of the previous page" }),
  limit: limitSchema,
});
