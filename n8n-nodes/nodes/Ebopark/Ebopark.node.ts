import { PlatformError, TransportError } from "@parkbridge/shared";
import type {
  ICredentialsDecrypted,
  ICredentialTestFunctions,
  IExecuteFunctions,
  INodeCredentialTestResult,
  INodeExecutionData,
  INodeType,
  INodeTypeDescription,
} from "n8n-workflow";
import { NodeConnectionTypes } from "n8n-workflow";
import { describeOperations, fieldTitles, operationSubtitle, resourceProperty } from "../common/catalogue";
import { runForEachItem } from "../common/items";
import { EBOPARK_CREDENTIAL, eboparkClient } from "./client";
import { runEboparkOperation } from "./execute";
import { eboparkNodeOperation, eboparkNodeOperations, eboparkResources } from "./operations";

/** Words in a refusal that mean the partner id or signature was not accepted. */
const AUTH_REFUSAL = /sign|签名|partner|合作|auth|权限|密钥|key/i;

export class Ebopark implements INodeType {
  description: INodeTypeDescription = {
    displayName: "Ebopark",
    name: "ebopark",
    icon: { light: "file:../../icons/ebopark.svg", dark: "file:../../icons/ebopark.dark.svg" },
    group: ["transform"],
    version: 1,
    subtitle: operationSubtitle(eboparkNodeOperations),
    description: "Find a parked vehicle and call Ebopark (宜泊) partner services",
    defaults: { name: "Ebopark" },
    usableAsTool: true,
    inputs: [NodeConnectionTypes.Main],
    outputs: [NodeConnectionTypes.Main],
    credentials: [{ name: "eboparkApi", required: true, testedBy: "eboparkApiTest" }],
    properties: [resourceProperty(eboparkResources, "vehicleLocation"), ...describeOperations(eboparkNodeOperations)],
  };

  methods = {
    credentialTest: {
      /** A signed QueryDeduList: any answer but a signature/partner refusal proves the keys. */
      async eboparkApiTest(
        this: ICredentialTestFunctions,
        credential: ICredentialsDecrypted,
      ): Promise<INodeCredentialTestResult> {
        const client = eboparkClient(credential.data ?? {});
        try {
          await client.QueryDeduList({ parkCode: "parkbridge-credential-test", page: 1, pageSize: 1 });
          return { status: "OK", message: "Connection successful" };
        } catch (error) {
          if (error instanceof PlatformError && !AUTH_REFUSAL.test(error.msg)) {
            return { status: "OK", message: `Signature accepted (the test query answered: ${error.msg})` };
          }
          if (error instanceof PlatformError) return { status: "Error", message: error.msg };
          if (error instanceof TransportError) return { status: "Error", message: error.message };
          return { status: "Error", message: (error as Error).message };
        }
      },
    },
  };

  async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
    const credentials = await this.getCredentials(EBOPARK_CREDENTIAL);
    const client = eboparkClient(credentials, (options) => this.helpers.httpRequest(options));
    const operation = this.getNodeParameter("operation", 0) as string;
    return await runForEachItem(
      this,
      async (itemIndex) => {
        const id = this.getNodeParameter("operation", itemIndex) as string;
        return await runEboparkOperation(this, client, id, itemIndex);
      },
      fieldTitles(eboparkNodeOperation(operation)),
    );
  }
}
