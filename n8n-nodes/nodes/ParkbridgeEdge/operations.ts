/**
 * The Parkbridge Edge node's operations: each one route of the edge Worker's API, its fields
 * generated from the request schemas the Worker validates with (shared/src/edge/requests.ts).
 * A new route for the node is a row here.
 */
import {
  backfillBody,
  backfillIdParams,
  changeGrantBody,
  createGrantBody,
  eventsQuery,
  grantIdParams,
  lanesQuery,
  listGrantsQuery,
  lotParams,
  personalDataQuery,
} from "@parkbridge/shared";
import type { IDataObject, IExecuteFunctions, IHttpRequestMethods } from "n8n-workflow";
import { type CatalogueField, type CatalogueOperation, edgeFields } from "../common/catalogue";

export interface EdgeOperation extends CatalogueOperation {
  method: IHttpRequestMethods;
  /** The route; `{name}` is filled with the path field `name`. */
  path: string;
  pathFields: CatalogueField[];
  queryFields: CatalogueField[];
  bodyFields: CatalogueField[];
  /** Shapes the Worker's answer into items (default: the answer as it is). */
  answer?: (answer: unknown, context: IExecuteFunctions, itemIndex: number) => IDataObject | IDataObject[];
}

interface EdgeRoute extends Omit<CatalogueOperation, "fields"> {
  method: IHttpRequestMethods;
  path: string;
  params?: unknown;
  query?: unknown;
  body?: unknown;
  /** Parameter names that differ from the API's field names (kept as saved workflows know them). */
  parameters?: Record<string, string>;
  answer?: EdgeOperation["answer"];
}

/** Paging is the node's (Return All / Limit). */
const PAGING_FIELDS = ["cursor", "limit"];

function edgeOperation(route: EdgeRoute): EdgeOperation {
  const { params, query, body, parameters, ...rest } = route;
  const fieldsOf = (schema: unknown) => (schema ? edgeFields(schema, { omit: PAGING_FIELDS, parameters }) : []);
  const pathFields = fieldsOf(params);
  const queryFields = fieldsOf(query);
  const bodyFields = fieldsOf(body);
  return { ...rest, pathFields, queryFields, bodyFields, fields: [...pathFields, ...queryFields, ...bodyFields] };
}

export const edgeResources = [
  { value: "event", name: "Event" },
  { value: "history", name: "History" },
  { value: "lane", name: "Lane" },
  { value: "lot", name: "Lot" },
  { value: "personalData", name: "Personal Data" },
  { value: "visitorGrant", name: "Visitor Grant" },
];

const grantId = { id: "grantId" };

export const edgeOperations: EdgeOperation[] = [
  edgeOperation({
    resource: "visitorGrant",
    value: "grant",
    name: "Grant",
    description: "Let a visitor’s vehicle in until a time (authorised on the platform now)",
    action: "Grant visitor access",
    method: "POST",
    path: "/api/visitor-grants",
    body: createGrantBody,
  }),
  edgeOperation({
    resource: "visitorGrant",
    value: "extend",
    name: "Extend",
    description: "Move the end of a grant (also on the platform)",
    action: "Extend a visitor grant",
    method: "PATCH",
    path: "/api/visitor-grants/{id}",
    params: grantIdParams,
    parameters: grantId,
    body: changeGrantBody,
  }),
  edgeOperation({
    resource: "visitorGrant",
    value: "revoke",
    name: "Revoke",
    description: "End a grant now (the vehicle is removed on the platform)",
    action: "Revoke a visitor grant",
    method: "DELETE",
    path: "/api/visitor-grants/{id}",
    params: grantIdParams,
    parameters: grantId,
  }),
  edgeOperation({
    resource: "visitorGrant",
    value: "list",
    name: "List",
    description: "List visitor grants",
    action: "List visitor grants",
    method: "GET",
    path: "/api/visitor-grants",
    query: listGrantsQuery,
    paged: true,
    optionalFields: "filters",
  }),
  edgeOperation({
    resource: "event",
    value: "query",
    name: "Query",
    description: "Platform events the edge received, newest first",
    action: "Query events",
    method: "GET",
    path: "/api/events",
    query: eventsQuery,
    paged: true,
    optionalFields: "filters",
  }),
  edgeOperation({
    resource: "history",
    value: "backfill",
    name: "Backfill",
    description:
      "Fill a range of a lot’s history from the platform’s access records: entries and exits whose callback never came",
    action: "Backfill a lot's history",
    method: "POST",
    path: "/api/backfill",
    body: backfillBody,
  }),
  edgeOperation({
    resource: "history",
    value: "getBackfill",
    name: "Get Backfill",
    description: "A backfill’s progress: windows read, accesses recovered, windows that could not be read and why",
    action: "Get a backfill's progress",
    method: "GET",
    path: "/api/backfill/{id}",
    params: backfillIdParams,
    parameters: { id: "backfillId" },
  }),
  edgeOperation({
    resource: "personalData",
    value: "export",
    name: "Export",
    description: "Everything stored about one person, by plate or phone (PIPL art. 45). The export is audited.",
    action: "Export a person's data",
    method: "GET",
    path: "/api/personal-data",
    query: personalDataQuery,
    optionalFields: "top",
  }),
  edgeOperation({
    resource: "personalData",
    value: "erase",
    name: "Erase",
    description:
      "Erase one person’s names, phones and raw bodies everywhere, by plate or phone (PIPL art. 47). Their events still count.",
    action: "Erase a person's data",
    method: "DELETE",
    path: "/api/personal-data",
    query: personalDataQuery,
    optionalFields: "top",
  }),
  edgeOperation({
    resource: "lot",
    value: "getOccupancy",
    name: "Get Occupancy",
    description: "Live free spaces and vehicles inside, from the latest callbacks",
    action: "Get lot occupancy",
    method: "GET",
    path: "/api/lots/{parkingId}",
    params: lotParams,
  }),
  edgeOperation({
    resource: "lane",
    value: "getStatus",
    name: "Get Status",
    description: "Whether each lane camera is online, from the latest callbacks: one lot’s lanes, or every lot’s",
    action: "Get lane status",
    method: "GET",
    path: "/api/lanes",
    query: lanesQuery,
    optionalFields: "top",
    extra: [
      {
        displayName: "Only Offline",
        name: "onlyOffline",
        type: "boolean",
        default: false,
        description: "Whether to return only the lanes whose camera is offline",
      },
    ],
    answer: (answer, context, itemIndex) => {
      const lanes = answer as { items?: IDataObject[]; offline?: IDataObject[] };
      return (context.getNodeParameter("onlyOffline", itemIndex, false) ? lanes.offline : lanes.items) ?? [];
    },
  }),
];

export const edgeOperationOf = (resource: string, operation: string) =>
  edgeOperations.find((candidate) => candidate.resource === resource && candidate.value === operation);
