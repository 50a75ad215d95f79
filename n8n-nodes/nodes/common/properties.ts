import type { INodeProperties } from "n8n-workflow";

export type Show = NonNullable<NonNullable<INodeProperties["displayOptions"]>["show"]>;

/** The Operation selector of one resource. */
export function operationProperty(
  resource: string,
  options: NonNullable<INodeProperties["options"]>,
  defaultOperation: string,
): INodeProperties {
  return {
    displayName: "Operation",
    name: "operation",
    type: "options",
    noDataExpression: true,
    displayOptions: { show: { resource: [resource] } },
    options,
    default: defaultOperation,
  };
}

/** Return All + Limit, as n8n's own list operations offer them. */
export function pagingProperties(show: Show): INodeProperties[] {
  return [
    {
      displayName: "Return All",
      name: "returnAll",
      type: "boolean",
      default: false,
      description: "Whether to return all results or only up to a given limit",
      displayOptions: { show },
    },
    {
      displayName: "Limit",
      name: "limit",
      type: "number",
      typeOptions: { minValue: 1 },
      default: 50,
      description: "Max number of results to return",
      displayOptions: { show: { ...show, returnAll: [false] } },
    },
  ];
}

/** The optional fields of an operation, in one collection ("Additional Fields" unless named otherwise) sorted by label. */
export function additionalFieldsProperty(
  show: Show,
  options: INodeProperties[],
  collection: { name: string; displayName: string; placeholder: string } = {
    name: "additionalFields",
    displayName: "Additional Fields",
    placeholder: "Add Field",
  },
): INodeProperties {
  return {
    ...collection,
    type: "collection",
    default: {},
    displayOptions: { show },
    options: [...options].sort((a, b) => a.displayName.localeCompare(b.displayName)),
  };
}

/** A picker loaded from the platform, with an ID mode for expressions and unlisted values. */
export function listOrIdProperty(
  plain: INodeProperties,
  searchListMethod: string,
  idPlaceholder: string,
): INodeProperties {
  return {
    ...plain,
    type: "resourceLocator",
    default: { mode: "list", value: "" },
    modes: [
      {
        displayName: "From List",
        name: "list",
        type: "list",
        typeOptions: { searchListMethod, searchable: true },
      },
      { displayName: "ID", name: "id", type: "string", placeholder: idPlaceholder },
    ],
  };
}
