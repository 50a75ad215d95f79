import { type CallableOperationId, resources } from "@parkbridge/shared";
import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from "n8n-workflow";
import { NodeConnectionTypes } from "n8n-workflow";
import { describeOperations, fieldTitles, operationSubtitle, resourceProperty } from "../common/catalogue";
import { runForEachItem } from "../common/items";
import { PLATFORM_CREDENTIAL, platformClient } from "./client";
import { runOperation } from "./execute";
import { getLanes, getVehicleTypes, searchLanes, searchParkingLots, withPickers } from "./methods";
import { platformOperation, platformOperations, platformResourceIds } from "./operations";

export class ParkingOpenPlatform implements INodeType {
  description: INodeTypeDescription = {
    displayName: "Parking Open Platform",
    name: "parkingOpenPlatform",
    icon: { light: "file:../../icons/parkbridge.svg", dark: "file:../../icons/parkbridge.dark.svg" },
    group: ["transform"],
    version: 1,
    subtitle: operationSubtitle(platformOperations),
    description: "Authorise vehicles, manage visitors, blacklists and coupons, open gates and read lot data",
    defaults: { name: "Parking Open Platform" },
    usableAsTool: true,
    inputs: [NodeConnectionTypes.Main],
    outputs: [NodeConnectionTypes.Main],
    credentials: [{ name: PLATFORM_CREDENTIAL, required: true }],
    properties: [
      resourceProperty(
        platformResourceIds.map((id) => ({ value: id, name: resources[id].title })),
        "vehicleAuthorisation",
      ),
      ...describeOperations(platformOperations, withPickers),
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
      fieldTitles(platformOperation(operation)),
    );
  }
}
