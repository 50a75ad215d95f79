import type {
  ICredentialsDecrypted,
  ICredentialTestFunctions,
  IDataObject,
  IExecuteFunctions,
  INodeCredentialTestResult,
  INodeExecutionData,
  INodeType,
  INodeTypeDescription,
  JsonObject,
} from "n8n-workflow";
import { NodeApiError, NodeConnectionTypes, NodeOperationError } from "n8n-workflow";
import { runForEachItem } from "../common/items";
import {
  probeRequest,
  probeVerdict,
  type RobotMessage,
  type RobotService,
  type RobotTarget,
  robotAnswer,
  robotRequest,
  robotServices,
} from "./robots";

const CREDENTIAL = "groupRobotApi";

function targetOf(credentials: IDataObject): RobotTarget {
  return {
    service: String(credentials.service ?? "wecom") as RobotService,
    webhookUrl: String(credentials.webhookUrl ?? "").trim(),
    secret: String(credentials.secret ?? ""),
    keyword: String(credentials.keyword ?? ""),
  };
}

export class GroupRobot implements INodeType {
  description: INodeTypeDescription = {
    displayName: "Group Robot",
    name: "groupRobot",
    icon: { light: "file:../../icons/group-robot.svg", dark: "file:../../icons/group-robot.dark.svg" },
    group: ["output"],
    version: 1,
    subtitle: '={{$parameter["format"] === "text" ? "plain text message" : "markdown message"}}',
    description: "Send a message to a WeCom (企业微信), DingTalk (钉钉) or Feishu (飞书) group through its robot",
    defaults: { name: "Group Robot" },
    usableAsTool: true,
    inputs: [NodeConnectionTypes.Main],
    outputs: [NodeConnectionTypes.Main],
    credentials: [{ name: "groupRobotApi", required: true, testedBy: "groupRobotApiTest" }],
    properties: [
      {
        displayName: "Format",
        name: "format",
        type: "options",
        options: [
          {
            name: "Markdown",
            value: "markdown",
            description: "Bold, lists and links: WeCom markdown, DingTalk markdown, a Feishu card",
          },
          {
            name: "Plain Text",
            value: "text",
            description: "Plain text; the only kind in which WeCom can mention people by phone number",
          },
        ],
        default: "markdown",
      },
      {
        displayName: "Title",
        name: "title",
        type: "string",
        default: "",
        placeholder: "e.g. 月卡到期提醒",
        description: "Shown first and bold (a Feishu card's header, DingTalk's notification title)",
      },
      {
        displayName: "Message",
        name: "text",
        type: "string",
        typeOptions: { rows: 5 },
        default: "",
        required: true,
        description: "The message. Longer than the robot takes, it is shortened at a line, saying so.",
      },
      {
        displayName: "Options",
        name: "options",
        type: "collection",
        placeholder: "Add Option",
        default: {},
        options: [
          {
            displayName: "Mention Everyone",
            name: "mentionAll",
            type: "boolean",
            default: false,
            description: "Whether to @ everyone in the group",
          },
          {
            displayName: "Mention Phone Numbers",
            name: "mentionMobiles",
            type: "string",
            default: "",
            placeholder: "e.g. 13800138000, 13900139000",
            description:
              "Comma-separated mobile numbers to @: WeCom (Plain Text only) and DingTalk. Feishu mentions need user IDs, so only Mention Everyone works there.",
          },
        ],
      },
    ],
  };

  methods = {
    credentialTest: {
      /** A signed request of a message type no robot knows: it proves the address and signature, and posts nothing. */
      async groupRobotApiTest(
        this: ICredentialTestFunctions,
        credential: ICredentialsDecrypted,
      ): Promise<INodeCredentialTestResult> {
        const target = targetOf(credential.data ?? {});
        try {
          const probe = await probeRequest(target);
          // Credential tests get no httpRequest helper in n8n 2: a plain fetch, as the Ebopark test's client makes.
          const response = await fetch(probe.url, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(probe.body),
          });
          const answer: unknown = await response.json().catch(() => ({ errmsg: `HTTP ${response.status}` }));
          const verdict = probeVerdict(target.service, answer);
          return { status: verdict.ok ? "OK" : "Error", message: verdict.message };
        } catch (error) {
          return { status: "Error", message: (error as Error).message };
        }
      },
    },
  };

  async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
    const target = targetOf(await this.getCredentials(CREDENTIAL));
    const { service } = target;
    const serviceName = robotServices.find((s) => s.value === service)?.name ?? service;
    return await runForEachItem(this, async (itemIndex) => {
      const text = String(this.getNodeParameter("text", itemIndex, "")).trim();
      if (!text) throw new NodeOperationError(this.getNode(), "Message (text) must not be empty", { itemIndex });
      const options = this.getNodeParameter("options", itemIndex, {}) as IDataObject;
      const mentionMobiles = String(options.mentionMobiles ?? "")
        .split(",")
        .map((mobile) => mobile.trim())
        .filter(Boolean);
      const wrong = mentionMobiles.find((mobile) => !/^\+?\d{5,15}$/.test(mobile));
      if (wrong) {
        throw new NodeOperationError(
          this.getNode(),
          `Mention Phone Numbers (mentionMobiles) must be phone numbers separated by commas; got ${JSON.stringify(wrong)}`,
          { itemIndex },
        );
      }
      const message: RobotMessage = {
        format: this.getNodeParameter("format", itemIndex, "markdown") === "text" ? "text" : "markdown",
        title: String(this.getNodeParameter("title", itemIndex, "")).trim() || undefined,
        text,
        mentionAll: options.mentionAll === true,
        mentionMobiles,
      };
      const request = await robotRequest(target, message);
      const answer = await this.helpers.httpRequest({
        method: "POST",
        url: request.url,
        body: request.body,
        json: true,
      });
      const verdict = robotAnswer(service, answer);
      if (!verdict.ok) {
        throw new NodeApiError(this.getNode(), (answer ?? {}) as JsonObject, {
          itemIndex,
          message: `The ${serviceName} robot refused the message: ${verdict.message} (code ${verdict.code})`,
          ...(verdict.hint ? { description: verdict.hint } : {}),
        });
      }
      return { sent: true, service, truncated: request.truncated, answer: answer as IDataObject };
    });
  }
}
