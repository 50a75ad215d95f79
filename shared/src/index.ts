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
  type RejectionReason,
  type VerifiedCallback,
  type VerifiedHeaders,
  type VerifyCallbackOptions,
  verifyCallback,
  verifyCallbackHeaders,
} from "./callbacks/verify.js";
// Ebopark
export { type EboparkOperationId, eboparkOperations, eboparkPartnerOperationIds } from "./ebopark/catalogue.js";
export { createEboparkClient, type EboparkClient, type EboparkClientOptions } from "./ebopark/client.js";
export { type CpgsSigner, defaultCpgsSigner, signPartnerBody } from "./ebopark/sign.js";
// Clients and verification
export {
  createPlatformClient,
  isTokenFailure,
  type PagedInput,
  type PlatformClient,
  type PlatformClientOptions,
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
  lenientText,
  MAX_PAGE_SIZE,
  openObject,
  PLATE_MAX_LENGTH,
  PLATE_PATTERN,
  plateSchema,
  requiredText,
  safeText,
  TEXT_LIMITS,
  timeString,
  UNKNOWN_FIELD_LIMITS,
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
export { validateRequest } from "./platform/validate.js";
export { timingSafeEqual } from "./util/constant-time.js";
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
