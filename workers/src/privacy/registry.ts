/**
 * The one registry of personal data: every table and column that holds a name, a phone number, a
 * plate-linked personal detail or a raw body, with its kind. Erasure and export (erasure.ts),
 * retention (retention.ts) and masking (mask.ts) read it; none of them lists a column of its own.
 * A column whose name looks personal (name, phone, mobile, raw, body, plate) must be here or in
 * NOT_PERSONAL: test/workers/privacy-registry.test.ts reads the D1 schema and fails otherwise.
 * Adding a table or column that holds personal data? Register it here (docs/privacy.md).
 */

/** What a personal value is. */
export type PersonalKind =
  /** A licence plate: identifies a vehicle, and through it its owner or visitor. */
  | "plate"
  /** A person's name (owner, visitor, staff on duty). */
  | "name"
  /** A phone number. */
  | "phone"
  /** Free text a person or the platform wrote about a person (a booking's memo, a grant's reason). */
  | "note"
  /** A photo of the vehicle (a URL on the platform's storage). */
  | "photo"
  /** A body as received, whatever it says: kept for audit, never served by default. */
  | "raw";

/** How long rows are kept (retention.ts): each class has its own setting. */
export type RetentionClass =
  /** Events with their raw bodies and typed rows: RETENTION_EVENTS_DAYS. */
  | "events"
  /** Closed visitor grants with their audit trail: RETENTION_GRANTS_DAYS. */
  | "grants"
  /** Held callbacks: their bodies go 30 days after they are resolved (callbacks/held.ts). */
  | "held"
  /** Erasure and export audit rows: kept (accountability); they hold no full plate or phone. */
  | "audit";

export interface PersonalColumn {
  readonly column: string;
  /** The kind of the value, or `json` for a JSON column whose `fields` are personal. */
  readonly kind: PersonalKind | "json";
  /** For `json`: the JSON paths inside the column that hold personal values, with their kinds. */
  readonly fields?: Readonly<Record<string, PersonalKind>>;
  /** NOT NULL in the schema: erasure writes '' (or the plate's placeholder), not NULL. */
  readonly required?: boolean;
}

export interface PersonalTable {
  readonly table: string;
  /** The column that names a row in an export. */
  readonly key: string;
  readonly columns: readonly PersonalColumn[];
  /**
   * The rows of one person, as SQL conditions: `plate` where ?1 is the plate (and ?2 its JSON
   * spelling, \u-escaped), `phone` where ?1 is a JSON array of the phone's spellings. They may read
   * other tables: they run before anything is changed.
   */
  readonly whose: { readonly plate: string; readonly phone: string };
  readonly retention: RetentionClass;
}

/** The personal fields of an event's `data` (both platforms' names), also in visitor_registrations and raw bodies. */
export const EVENT_DATA_FIELDS = {
  // Open platform callbacks (shared/src/callbacks/catalogue.ts).
  "$.vehicleCode": "plate",
  "$.userName": "name",
  "$.phoneNum": "phone",
  "$.userPhoneNumber": "phone",
  "$.memo": "note",
  "$.photo": "photo",
  // Ebopark reports (shared/src/ebopark/reports.ts).
  "$.plateNumber": "plate",
  "$.operatorName": "name",
  "$.companyName": "note",
  "$.notes": "note",
  "$.entryNotes": "note",
  "$.imageUrl": "photo",
  "$.entryPlateImage": "photo",
  "$.exitPlateImage": "photo",
} as const satisfies Record<string, PersonalKind>;

/** The personal fields of an event's `details` (the vocabulary's fields of its kind, shared/src/events/vocabulary.ts). */
export const EVENT_DETAILS_FIELDS = {
  "$.operatorName": "name",
  "$.reason": "note",
} as const satisfies Record<string, PersonalKind>;

/** A grant's audit detail: the API request, the platform booking, the platform's authorisation. */
const GRANT_AUDIT_FIELDS = {
  "$.request.vehicleCode": "plate",
  "$.request.visitorName": "name",
  "$.request.visitorPhone": "phone",
  "$.request.reason": "note",
  "$.booking.vehicleCode": "plate",
  "$.booking.userName": "name",
  "$.booking.userPhoneNumber": "phone",
  "$.booking.memo": "note",
  "$.platform.vehicleCode": "plate",
  "$.platform.userName": "name",
  "$.platform.userPhoneNumber": "phone",
  "$.platform.phoneNum": "phone",
} as const satisfies Record<string, PersonalKind>;

/** An access's natural key (callbacks/store.ts accessKeyOf): JSON [platform, lot, plate, direction, time, lane]. */
const ACCESS_KEY_FIELDS = { "$[2]": "plate" } as const satisfies Record<string, PersonalKind>;

/** ?1's phone spellings, as an SQL list. */
const PHONES = "(SELECT value FROM json_each(?1))";
/** One person's events, by plate (indexed) or by phone (a booking's, indexed; an access's, read from its data). */
const EVENTS_OF = {
  plate: "SELECT id FROM events WHERE vehicle_code = ?1",
  phone: `SELECT event_id FROM visitor_registrations WHERE user_phone IN ${PHONES}
    UNION SELECT id FROM events WHERE (data ->> '$.phoneNum') IN ${PHONES}`,
};
const GRANTS_OF = {
  plate: "SELECT id FROM visitor_grants WHERE vehicle_code = ?1",
  phone: `SELECT id FROM visitor_grants WHERE visitor_phone IN ${PHONES}`,
};
const inSet = (column: string, set: { plate: string; phone: string }) => ({
  plate: `${column} IN (${set.plate})`,
  phone: `${column} IN (${set.phone})`,
});

export const PERSONAL_DATA: readonly PersonalTable[] = [
  {
    table: "events",
    key: "id",
    columns: [
      { column: "vehicle_code", kind: "plate" },
      { column: "data", kind: "json", fields: EVENT_DATA_FIELDS, required: true },
      { column: "details", kind: "json", fields: EVENT_DETAILS_FIELDS },
    ],
    whose: inSet("id", EVENTS_OF),
    retention: "events",
  },
  {
    table: "raw_callbacks",
    key: "id",
    // The body goes; body_digest and content_key stay, so a redelivered copy is still known.
    // access_key (migrations/0007): an access's natural key, JSON [platform, lot, plate, direction,
    // time, lane], unique: its plate is replaced (the rest keeps erased keys apart, and a late
    // report of the erased access is still known as stored only if it carries the placeholder).
    // A record's body (reconciliation) also holds the owner's workNo: erased with the body.
    columns: [
      { column: "body", kind: "raw", required: true },
      { column: "access_key", kind: "json", fields: ACCESS_KEY_FIELDS },
    ],
    whose: inSet("id", EVENTS_OF),
    retention: "events",
  },
  {
    table: "vehicle_accesses",
    key: "event_id",
    columns: [{ column: "vehicle_code", kind: "plate", required: true }],
    whose: inSet("event_id", EVENTS_OF),
    retention: "events",
  },
  {
    table: "barrier_overrides",
    key: "event_id",
    columns: [
      { column: "vehicle_code", kind: "plate" },
      { column: "operator_name", kind: "name" },
      { column: "reason", kind: "note" },
    ],
    whose: inSet("event_id", EVENTS_OF),
    retention: "events",
  },
  {
    table: "visitor_registrations",
    key: "event_id",
    columns: [
      { column: "vehicle_code", kind: "plate", required: true },
      { column: "user_name", kind: "name" },
      { column: "user_phone", kind: "phone" },
      { column: "memo", kind: "note" },
    ],
    whose: inSet("event_id", EVENTS_OF),
    retention: "events",
  },
  {
    table: "visitor_grants",
    key: "id",
    columns: [
      { column: "vehicle_code", kind: "plate", required: true },
      { column: "visitor_name", kind: "name", required: true },
      { column: "visitor_phone", kind: "phone", required: true },
      { column: "reason", kind: "note" },
    ],
    whose: inSet("id", GRANTS_OF),
    retention: "grants",
  },
  {
    table: "grant_audit",
    key: "id",
    columns: [{ column: "detail", kind: "json", fields: GRANT_AUDIT_FIELDS }],
    whose: inSet("grant_id", GRANTS_OF),
    retention: "grants",
  },
  {
    table: "expiry_sightings",
    key: "grant_id",
    // The platform's authorisation as a scan saw it (no names or phones are kept, but its plate is).
    columns: [{ column: "authorisation", kind: "json", fields: { "$.vehicleCode": "plate" }, required: true }],
    whose: inSet("grant_id", GRANTS_OF),
    retention: "grants",
  },
  {
    table: "held_callbacks",
    key: "id",
    // Never verified, never parsed into events: found by the plate or phone appearing in the body.
    // access_key (migrations/0007): the natural key of the access the body reports (with its plate).
    columns: [
      { column: "body", kind: "raw", required: true },
      { column: "access_key", kind: "json", fields: ACCESS_KEY_FIELDS },
    ],
    whose: {
      plate: "body <> '' AND (instr(body, ?1) > 0 OR instr(body, ?2) > 0)",
      phone: "body <> '' AND EXISTS (SELECT 1 FROM json_each(?1) p WHERE instr(body, p.value) > 0)",
    },
    retention: "held",
  },
];

/**
 * Columns whose names look personal but are not, each with why (the registry test accepts them).
 * Adding one here is a decision: say why it holds nothing about a person.
 */
export const NOT_PERSONAL: Readonly<Record<string, string>> = {
  "raw_callbacks.body_digest": "a SHA-256 of the body: what deduplication needs, not the body",
  "held_callbacks.body_digest": "a SHA-256 of the body",
  "callback_signatures.body_digest": "a SHA-256 of the body the (timestamp, sign) pair is bound to",
  "vehicle_accesses.lane_name": "a lane's name (a place, not a person)",
  "camera_statuses.lane_name": "a lane's name",
  "lane_state.lane_name": "a lane's name",
  "barrier_overrides.lane_name": "a lane's name",
  "lot_statuses.lot_name": "a lot's name",
  "lot_state.lot_name": "a lot's name",
  "personal_data_targets.table_name": "a table's name",
  "expiry_lots.authorisations": "a count of a lot's authorisations",
  "record_lots.name": "a lot's name (listParkingLots)",
};

/** A registered column, or undefined. */
export function registeredColumn(table: string, column: string): PersonalColumn | undefined {
  return PERSONAL_DATA.find((t) => t.table === table)?.columns.find((c) => c.column === column);
}

/** Column names that look personal: the registry test asks each such column to be registered. */
export const LOOKS_PERSONAL = /name|phone|mobile|raw|body|plate|vehicle_code|memo|photo|image|authoris/i;

/** Fields of an event's `data` whose names look personal but are not (the registry test accepts them). */
export const NOT_PERSONAL_FIELDS: Readonly<Record<string, string>> = {
  laneName: "a lane's name",
  parkName: "the lot's name",
  entryChannelName: "a lane's name",
  exitChannelName: "a lane's name",
  channelName: "a lane's name",
  deviceName: "a device's name",
  plateColor: "the plate's colour (blue, green…), not the plate",
};

/** Field names of event data that look personal: the registry test asks each such field to be registered. */
export const LOOKS_PERSONAL_FIELD = /name|phone|mobile|plate|vehicleCode|memo|note|photo|image|owner|company|idcard/i;
