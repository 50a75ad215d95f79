/**
 * @parkbridge/shared: the protocol package. Everything here runs unchanged on workerd and
 * Node ≥ 22 (Web standards only, no Node imports).
 */

export {
  type CallbackEvent,
  type CallbackEventId,
  type CallbackType,
  type CameraStatusEvent,
  callbackEventIds,
  callbacks,
  callbackTypeOfEvent,
  callbackTypes,
  type VehicleAccessEvent,
  type VisitorRegisteredEvent,
} from "./callbacks/catalogue.js";
export { signCallback } from "./callbacks/sign.js";
export {
  type CallbackRejection,
  DEFAULT_CALLBACK_WINDOW_MS,
  type HeaderCheckOptions,
  type HeaderSource,
  parseCallbackBody,
  parseCallbackData,
  type RejectionReason,
  type VerifiedCallback,
  type VerifiedHeaders,
  type VerifyCallbackOptions,
  verifyCallback,
  verifyCallbackHeaders,
} from "./callbacks/verify.js";
// Ebopark
export {
  EBOPARK_REPORT_SUCCESS,
  type EboparkReportRefusal,
  eboparkReportRefusal,
  isEboparkReportSuccess,
} from "./ebopark/answers.js";
export {
  carParkSessionRecord,
  type EboparkHost,
  type EboparkOperationId,
  type EboparkPartnerOperationId,
  eboparkOperations,
  eboparkPartnerOperationIds,
} from "./ebopark/catalogue.js";
export { createEboparkClient, type EboparkClient, type EboparkClientOptions } from "./ebopark/client.js";
export {
  type EboparkFieldName,
  type EboparkReport,
  type EboparkReportData,
  type EboparkReportId,
  eboparkReportIds,
  eboparkReports,
  eboparkVocabulary,
  type FieldKind,
  type FieldSource,
  isEboparkReportId,
  type ReportFieldMeta,
  reportFieldMeta,
} from "./ebopark/reports.js";
export { type CpgsSigner, defaultCpgsSigner, signPartnerBody, signReportBody } from "./ebopark/sign.js";
export {
  type CheckedReportRequest,
  checkEboparkReportRequest,
  defaultReportSignatureCheck,
  type ReportRejection,
  type ReportRejectionReason,
  type ReportSignatureCheck,
  type VerifiedReport,
  type VerifyReportOptions,
  verifyEboparkReport,
  verifyEboparkReportBody,
} from "./ebopark/verify-report.js";
// The edge API's requests, and its deliveries' signatures (Standard Webhooks)
export {
  backfillBody,
  backfillIdParams,
  changeGrantBody,
  claimDeliveryBody,
  confirmClaimBody,
  createGrantBody,
  createSubscriptionBody,
  DELIVERY_CLAIM_LEASE_SECONDS,
  deliveryIdParams,
  type EdgeFieldMeta,
  type EventProvenance,
  type EventsQuery,
  edgeFieldMeta,
  eventIdSchema,
  eventOptions,
  eventSourceOptions,
  eventSources,
  eventsQuery,
  type GrantSource,
  type GrantStatus,
  getGrantQuery,
  grantIdParams,
  grantSources,
  grantStatuses,
  lanesQuery,
  limitSchema,
  listGrantsQuery,
  lotParams,
  lotQuery,
  MAX_BACKFILL_DAYS,
  MAX_EDGE_PAGE_SIZE,
  type PersonalDataQuery,
  personalDataAuditQuery,
  personalDataQuery,
  personalDataViewSchema,
  platformOptions,
  platformSchema,
  subscriberUrlSchema,
} from "./edge/requests.js";
export {
  DEFAULT_WEBHOOK_TOLERANCE_SECONDS,
  newWebhookSecret,
  type ReceivedWebhookHeaders,
  signWebhook,
  type VerifyWebhookOptions,
  verifyWebhook,
  type WebhookCheck,
  webhookHeaders,
} from "./edge/standard-webhooks.js";
export {
  checkSubscriberUrl,
  MAX_SUBSCRIBER_URL_LENGTH,
  type SubscriberUrlCheck,
  type SubscriberUrlOptions,
} from "./edge/subscriber-url.js";
// One event vocabulary for both platforms
export { laneUpdateOf, lotUpdateOf, normaliseCallback, normaliseEboparkReport } from "./events/normalise.js";
export {
  type LaneUpdate,
  type LotUpdate,
  type ParkingEvent,
  type ParkingEventKind,
  type ParkingEventOf,
  type Platform,
  type PlatformCallbackType,
  parkingEventDescriptions,
  parkingEventKinds,
  parkingEventTitles,
  platforms,
  type SpaceCounts,
  type StayAmounts,
} from "./events/vocabulary.js";
// Clients and verification
export {
  type CachedToken,
  createPlatformClient,
  isTokenFailure,
  type PagedInput,
  type PlatformClient,
  type PlatformClientOptions,
  type SharedToken,
} from "./platform/client.js";
export {
  type FieldIssue,
  ParkbridgeError,
  PlatformError,
  TransportError,
  toFieldIssues,
  toPlatformMessage,
  ValidationError,
} from "./platform/errors.js";
export {
  countSchema,
  couponTypeOptions,
  type Direction,
  type FieldMeta,
  f as fields,
  field,
  fieldMeta,
  inParkVehicleTypeOptions,
  isRecognisedPlate,
  isUnreadablePlate,
  lenientText,
  MAX_PAGE_SIZE,
  openObject,
  PLATE_MAX_LENGTH,
  PLATE_PATTERN,
  plateSchema,
  RECEIVED_PLATE_MAX_LENGTH,
  receivedPlateSchema,
  requiredText,
  safeText,
  TEXT_LIMITS,
  timeString,
  UNKNOWN_FIELD_LIMITS,
  UNREADABLE_PLATE_MARKERS,
  vehicleTypeOptions,
} from "./platform/fields.js";
// The catalogue
export {
  type CallableOperationId,
  defaultPaths,
  type OperationDefinition,
  type OperationId,
  type OperationInput,
  type OperationRequest,
  type OperationResult,
  operationIds,
  operations,
  type PagedItem,
  type PagedOperationId,
  pagedOperationIds,
  pagedResult,
  type ResourceId,
  resources,
} from "./platform/operations.js";
export {
  normalisePlateInput,
  type PlateReading,
  plateFilterSchema,
  plateInputSchema,
  readPlateInput,
} from "./platform/plate-input.js";
export { validateRequest } from "./platform/validate.js";
export { timingSafeEqual } from "./util/constant-time.js";
export { BodyDecodingError, charsetOf, decodeBody, gunzip, isGzip, responseText } from "./util/decode.js";
export { inRange, parseAddress, type Range as AddressRange } from "./util/ip-address.js";
// Utilities shared by every part
export { md5Hex } from "./util/md5.js";
export {
  type JsonLimits,
  type JsonProblem,
  jsonProblem,
  type TextRules,
  textProblem,
  unknownFieldsProblem,
} from "./util/safe-json.js";
export { hmacSha256, sha256Hex, toHex } from "./util/sha256.js";
export {
  CHINA_STANDARD_OFFSET_MINUTES,
  endOfPlatformDay,
  formatPlatformTime,
  normalisePlatformTime,
  type PlatformTimeFormat,
  parsePlatformTime,
} from "./util/time.js";
