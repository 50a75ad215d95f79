/**
 * The Group Robot node against a local stand-in for the three robots (test/n8n/e2e/robot-receiver.mjs),
 * which checks signatures with its own implementation of each robot's published rule: every
 * service's message format, DingTalk's and Feishu's signatures, the keyword, mentions, long
 * messages shortened, refusals carrying the robot's own message, and the credential test.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { GroupRobot } from "../../n8n-nodes/nodes/GroupRobot/GroupRobot.node";
import { robotCredentials, startRobots } from "./e2e/robot-receiver.mjs";
import { runNode } from "./harness";

type Robots = Awaited<ReturnType<typeof startRobots>>;
let robots: Robots;
const node = new GroupRobot();

beforeAll(async () => {
  robots = await startRobots();
});
afterAll(async () => {
  await robots.close();
});
beforeEach(() => {
  robots.messages.length = 0;
});

const send = (service: "wecom" | "dingtalk" | "feishu", parameters: Record<string, unknown>, credential = {}) =>
  runNode(node, {
    parameters: { format: "markdown", ...parameters },
    credentials: { groupRobotApi: { ...robotCredentials(robots.url)[service], ...credential } },
  });

describe("Group Robot", () => {
  it.each(["wecom", "dingtalk", "feishu"] as const)(
    "sends a markdown message to %s in its format, signed",
    async (service) => {
      const { output } = await send(service, { title: "停车 occupancy", text: "- 一号停车场: 92 %" });
      expect(output[0]?.json).toMatchObject({ sent: true, service, truncated: false });
      expect(robots.messages).toHaveLength(1);
      const [message] = robots.messages;
      expect(message?.text).toContain("停车 occupancy");
      expect(message?.text).toContain("- 一号停车场: 92 %");
      const formats = { wecom: "msgtype", dingtalk: "msgtype", feishu: "msg_type" } as const;
      expect(message?.body[formats[service]]).toBe(service === "feishu" ? "interactive" : "markdown");
    },
  );

  it("mentions by phone and everyone where each robot can", async () => {
    await send("wecom", {
      format: "text",
      text: "hello",
      options: { mentionMobiles: "13800138000", mentionAll: true },
    });
    await send("dingtalk", { format: "text", text: "hello", options: { mentionMobiles: "13800138000" } });
    await send("feishu", { format: "text", text: "停车 hello", options: { mentionAll: true } });
    const [wecom, dingtalk, feishu] = robots.messages;
    expect(wecom?.body.text.mentioned_mobile_list).toEqual(["13800138000", "@all"]);
    expect(dingtalk?.body.at).toEqual({ atMobiles: ["13800138000"], isAtAll: false });
    expect(dingtalk?.text).toContain("@13800138000");
    expect(feishu?.text).toContain('<at user_id="all">');
  });

  it("puts the robot's keyword first when a message lacks it", async () => {
    await send("feishu", { format: "text", text: "lot full" });
    expect(robots.messages[0]?.text.startsWith("停车 lot full")).toBe(true);
  });

  it("shortens a message longer than the robot takes, at a line, and says so", async () => {
    const text = Array.from({ length: 300 }, (_, i) => `- 鲁A${String(i).padStart(5, "0")} 到期`).join("\n");
    const { output } = await send("wecom", { text });
    expect(output[0]?.json.truncated).toBe(true);
    const sent = robots.messages[0]?.text as string;
    expect(Buffer.byteLength(sent)).toBeLessThanOrEqual(4096);
    expect(sent).toMatch(/到期\n…\(message shortened/);
  });

  it("fails with the robot's own message when it refuses (a wrong signing secret)", async () => {
    await expect(send("dingtalk", { text: "x" }, { secret: "SECwrong" })).rejects.toThrow(
      /The DingTalk \(钉钉\) robot refused the message: sign not match.*\(code 310000\)/,
    );
    expect(robots.messages).toEqual([]);
  });

  it("refuses bad phone numbers naming the field", async () => {
    await expect(send("wecom", { text: "x", options: { mentionMobiles: "138-0013" } })).rejects.toThrow(
      /^Mention Phone Numbers \(mentionMobiles\) must be phone numbers/,
    );
  });

  it("tests a credential without posting anything", async () => {
    const test = node.methods.credentialTest.groupRobotApiTest;
    const check = (data: object) =>
      test.call({} as never, { id: "1", name: "r", type: "groupRobotApi", data } as never);
    const credentials = robotCredentials(robots.url);
    for (const service of ["wecom", "dingtalk", "feishu"] as const) {
      expect(await check(credentials[service])).toMatchObject({ status: "OK" });
    }
    expect(await check({ ...credentials.dingtalk, secret: "SECwrong" })).toMatchObject({
      status: "Error",
      message: expect.stringContaining("sign not match"),
    });
    expect(
      await check({ ...credentials.wecom, webhookUrl: `${robots.url}/wecom/cgi-bin/webhook/send?key=nope` }),
    ).toMatchObject({
      status: "Error",
    });
    expect(await check({ ...credentials.feishu, secret: "wrong" })).toMatchObject({ status: "Error" });
    expect(robots.messages).toEqual([]);
  });
});
