import { type CallableOperationId, resources } from "@parkbridge/shared";
import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from "n8n-workflow";
import { NodeConnectionTypes } from "n8n-workflow";
import { runForEachItem } from "../common/items";
import { fieldTitle, platformResourceIds } from "./catalogue";
import { PLATFORM_CREDENTIAL, platformClient } from "./client";
import { runOperation } from "./execute";
import { getLanes, getVehicleTypes, searchLanes, searchParkingLots } from "./methods";
import { accessRecordsDescription } from "./resources/accessRecords";
import { blacklistDescription } from "./resources/blacklist";
import { couponDescription } from "./resources/coupon";
import { gateDescription } from "./resources/gate";
import { laneDescription } from "./resources/lane";
import { parkingLotDescription } from "./resources/parkingLot";
import { vehicleAuthorisationDescription } from "./resources/vehicleAuthorisation";
import { vehiclesInParkDescription } from "./resources/vehiclesInPark";
import { vehicleTypeDescription } from "./resources/vehicleType";
import { visitorDescription } from "./resources/visitor";

export class ParkingOpenPlatform implements INodeType {
  description: INodeTypeDescription = {
    displayName: "Parking Open Platform",
    name: "parkingOpenPlatform",
    icon: { light: "file:../../icons/parkbridge.svg", dark: "file:../../icons/parkbridge.dark.svg" },
    group: ["transform"],
    version: 1,
    subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
    description: "Authorise vehicles, manage visitors, blacklists and coupons, open gates and read lot data",
    defaults: { name: "Parking Open Platform" },
    usableAsTool: true,
    inputs: [NodeConnectionTypes.Main],
    outputs: [NodeConnectionTypes.Main],
    credentials: [{ name: PLATFORM_CREDENTIAL, required: true }],
    properties: [
      {
        displayName: "Resource",
        name: "resource",
        type: "options",
        noDataExpression: true,
        options: platformResourceIds.map((id) => ({ name: resources[id].title, value: id })),
        default: "vehicleAuthorisation",
      },
      ...vehicleAuthorisationDescription,
      ...visitorDescription,
      ...vehiclesInParkDescription,
      ...accessRecordsDescription,
      ...parkingLotDescription,
      ...laneDescription,
      ...blacklistDescription,
      ...couponDescription,
      ...gateDescription,
      ...vehicleTypeDescription,
    ],
  };

  methods = {
    listSearch: { searchParkingLots, searchLanes },
    loadOptions: { getLanes, getVehicleTypes },
  };

  async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
    const credentials = await this.getCredentials(PLATFORM_CREDENTIAL);
    // One client per run: the AccessToken is fetched once and shared by every item.
    const client = platformClient(credentials, (options) => this.helpers.httpRequest(options));
    const operation = this.getNodeParameter("operation", 0) as CallableOperationId;
    return await runForEachItem(
      this,
      async (itemIndex) => {
        const id = this.getNodeParameter("operation", itemIndex) as CallableOperationId;
        return await runOperation(this, client, id, itemIndex);
      },
      (field) => fieldTitle(operation, field),
    );
  }
}
