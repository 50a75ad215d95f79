/** Pickers loaded from the platform (parking lots, lanes and vehicle types), and the fields they serve. */
import { operations, vehicleTypeOptions } from "@parkbridge/shared";
import type {
  ILoadOptionsFunctions,
  INodeListSearchItems,
  INodeListSearchResult,
  INodePropertyOptions,
} from "n8n-workflow";
import type { PropertyOverride } from "../common/catalogue";
import { listOrIdProperty } from "../common/properties";
import { PLATFORM_CREDENTIAL, platformClient } from "./client";

const EXPRESSIONS = '<a href="https://docs.n8n.io/code/expressions/">expression</a>';

/** The picker of each field the platform can list the values of. */
export const withPickers: PropertyOverride = (field, operation, plain) => {
  if (field.name === "parkingId") return listOrIdProperty(plain, "searchParkingLots", "e.g. park1");
  if (field.name === "laneId") return listOrIdProperty(plain, "searchLanes", "e.g. park1-1");
  if (field.name === "laneNos") {
    return {
      ...plain,
      type: "multiOptions",
      default: [],
      typeOptions: { loadOptionsMethod: "getLanes", loadOptionsDependsOn: ["parkingId.value"] },
      description: `${plain.description} Empty means every lane. Choose from the list, or specify lane numbers using an ${EXPRESSIONS}.`,
    };
  }
  if (field.name === "vehicleType" && operation.value === "addVehicle") {
    return {
      ...plain,
      type: "options",
      options: undefined,
      default: "2",
      typeOptions: { loadOptionsMethod: "getVehicleTypes", loadOptionsDependsOn: ["parkingId.value"] },
      description: `${plain.description} Choose from the list, or specify an ID using an ${EXPRESSIONS}.`,
    };
  }
  return plain;
};

async function clientFor(context: ILoadOptionsFunctions) {
  const credentials = await context.getCredentials(PLATFORM_CREDENTIAL);
  return platformClient(credentials, (options) => context.helpers.httpRequest(options));
}

function currentParkingId(context: ILoadOptionsFunctions): string | undefined {
  const value = context.getCurrentNodeParameter("parkingId", { extractValue: true });
  return typeof value === "string" && value.trim() ? value.trim() : undefined;
}

function matches(filter: string | undefined, ...texts: string[]): boolean {
  if (!filter) return true;
  const wanted = filter.toLowerCase();
  return texts.some((text) => text.toLowerCase().includes(wanted));
}

export async function searchParkingLots(this: ILoadOptionsFunctions, filter?: string): Promise<INodeListSearchResult> {
  const client = await clientFor(this);
  const lots = await client.listParkingLots({});
  return {
    results: lots
      .filter((lot) => matches(filter, lot.text, lot.value))
      .map((lot) => ({ name: `${lot.text} (${lot.value})`, value: lot.value })),
  };
}

/** Every lane of every lot, as `<parkingId>-<laneNo>` (the lane id openGate takes on the reference platform). */
export async function searchLanes(this: ILoadOptionsFunctions, filter?: string): Promise<INodeListSearchResult> {
  const client = await clientFor(this);
  const results: INodeListSearchItems[] = [];
  for (const lot of await client.listParkingLots({})) {
    for (const lane of await client.listLanes({ parkingId: lot.value })) {
      const name = `${lot.text}: ${lane.laneName ?? `Lane ${lane.laneNo}`}`;
      const value = `${lot.value}-${lane.laneNo}`;
      if (matches(filter, name, value)) results.push({ name, value });
    }
  }
  return { results };
}

export async function getLanes(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
  const parkingId = currentParkingId(this);
  if (!parkingId) return [];
  const client = await clientFor(this);
  const lanes = await client.listLanes({ parkingId });
  return lanes.map((lane) => ({ name: lane.laneName ?? `Lane ${lane.laneNo}`, value: lane.laneNo }));
}

export async function getVehicleTypes(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
  const builtIn = vehicleTypeOptions.map((option) => ({
    name: option.name,
    value: option.value,
    description: option.zh,
  }));
  const parkingId = currentParkingId(this);
  if (!parkingId) return builtIn;
  const client = await clientFor(this);
  const custom = await client.listVehicleTypes({ parkingId });
  return [
    ...builtIn,
    ...custom.data.map((type) => ({
      name: type.showName || type.vehicleTypeName,
      value: type.recordId,
      description: `Custom type ${type.vehicleTypeCode} (${operations.listVehicleTypes.zh})`,
    })),
  ];
}
