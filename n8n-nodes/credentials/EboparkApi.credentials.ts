import type { ICredentialType, Icon, INodeProperties } from "n8n-workflow";

/** Tested by the Ebopark node (`testedBy`): a signed call is needed to prove the keys, which a declarative request cannot sign. */
export class EboparkApi implements ICredentialType {
  name = "eboparkApi";

  displayName = "Ebopark API";

  icon: Icon = { light: "file:../icons/ebopark.svg", dark: "file:../icons/ebopark.dark.svg" };

  documentationUrl = "https://www.npmjs.com/package/n8n-nodes-parkbridge";

  properties: INodeProperties[] = [
    {
      displayName: "Partner Service Host",
      name: "partnerHost",
      type: "string",
      default: "http://testlpn.ebopark.com",
      description: "Host of the partnerService endpoints (production: http://lpn.ebopark.com)",
      required: true,
    },
    {
      displayName: "UMP Host",
      name: "umpHost",
      type: "string",
      default: "",
      placeholder: "http://ump.ebopark.com",
      description:
        "Host of the ump endpoints, where the lot's parking sessions are read (carParkSession); empty: the partner service host",
    },
    {
      displayName: "CPGS Host",
      name: "cpgsHost",
      type: "string",
      default: "https://cpgs-api-test.ebopark.com",
      description: "Host of the parking guidance (CPGS) endpoints",
      required: true,
    },
    {
      displayName: "Partner ID",
      name: "partnerId",
      type: "string",
      default: "",
      required: true,
    },
    {
      displayName: "Secret Key",
      name: "secretKey",
      type: "string",
      typeOptions: { password: true },
      default: "",
      required: true,
    },
    {
      displayName: "CPGS App Key",
      name: "appKey",
      type: "string",
      default: "",
      description: "Partner key sent as appKey in CPGS requests",
    },
  ];
}
