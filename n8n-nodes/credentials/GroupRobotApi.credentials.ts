import type { ICredentialType, Icon, INodeProperties } from "n8n-workflow";

/**
 * A WeCom, DingTalk or Feishu group robot's webhook. Tested by the Group Robot node
 * (`groupRobotApiTest`) with a request the robot refuses without posting anything.
 */
export class GroupRobotApi implements ICredentialType {
  name = "groupRobotApi";

  displayName = "Group Robot API";

  icon: Icon = { light: "file:../icons/group-robot.svg", dark: "file:../icons/group-robot.dark.svg" };

  documentationUrl = "https://www.npmjs.com/package/n8n-nodes-parkbridge";

  properties: INodeProperties[] = [
    {
      displayName: "Service",
      name: "service",
      type: "options",
      options: [
        { name: "WeCom (企业微信)", value: "wecom", description: "群机器人: the key is in the Webhook URL" },
        { name: "DingTalk (钉钉)", value: "dingtalk", description: "自定义机器人, signed (加签) or with a keyword" },
        {
          name: "Feishu / Lark (飞书)",
          value: "feishu",
          description: "自定义机器人, signed (签名校验) or with a keyword",
        },
      ],
      default: "wecom",
    },
    {
      displayName: "Webhook URL",
      name: "webhookUrl",
      type: "string",
      typeOptions: { password: true },
      default: "",
      placeholder: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…",
      description:
        "The robot's address, as its settings show it: WeCom https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…, DingTalk https://oapi.dingtalk.com/robot/send?access_token=…, Feishu https://open.feishu.cn/open-apis/bot/v2/hook/…",
      required: true,
    },
    {
      displayName: "Signing Secret",
      name: "secret",
      type: "string",
      typeOptions: { password: true },
      default: "",
      placeholder: "SEC…",
      description:
        "DingTalk: the 加签 secret (starts with SEC). Feishu: the 签名校验 secret. Leave empty if the robot is not signed.",
      displayOptions: { hide: { service: ["wecom"] } },
    },
    {
      displayName: "Keyword",
      name: "keyword",
      type: "string",
      default: "",
      placeholder: "e.g. 停车",
      description:
        "For a robot secured by a custom keyword (自定义关键词): put first in every message that does not already contain it",
    },
  ];
}
