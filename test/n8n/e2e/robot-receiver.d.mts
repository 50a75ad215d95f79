// Types of robot-receiver.mjs (plain JavaScript so scripts/n8n-e2e.sh can run it with node alone).
export interface RobotMessage {
  service: "wecom" | "dingtalk" | "feishu";
  // biome-ignore lint/suspicious/noExplicitAny: the robot's JSON body, as sent
  body: Record<string, any>;
  text: string;
  at: number;
}
export interface RobotCredential {
  service: "wecom" | "dingtalk" | "feishu";
  webhookUrl: string;
  secret?: string;
  keyword?: string;
}
export declare const ROBOTS: {
  wecom: { key: string };
  dingtalk: { token: string; secret: string };
  feishu: { hook: string; secret: string; keyword: string };
};
export declare function robotCredentials(base: string): Record<"wecom" | "dingtalk" | "feishu", RobotCredential>;
export declare function startRobots(
  port?: number,
): Promise<{ url: string; messages: RobotMessage[]; close: () => Promise<void> }>;
