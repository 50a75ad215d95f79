/**
 * The three group robots facility staff use, each in its own message format, signed as its
 * documentation says:
 * - WeCom (企业微信) group robot: `POST …/cgi-bin/webhook/send?key=…`, `{msgtype: "text" | "markdown", …}`,
 *   no signature (the key in the URL is the secret); answers `{errcode: 0, errmsg: "ok"}`.
 * - DingTalk (钉钉) custom robot: `{msgtype, text | markdown, at}`; with 加签 the URL gets `timestamp`
 *   (ms) and `sign` = URL-encoded base64(HMAC-SHA256(key = secret, message = timestamp + "\n" + secret));
 *   answers `{errcode: 0, errmsg: "ok"}`.
 * - Feishu (飞书) custom bot: `{msg_type: "text" | "interactive", content | card}`; with 签名校验 the body
 *   gets `timestamp` (s) and `sign` = base64(HMAC-SHA256(key = timestamp + "\n" + secret, message = ""));
 *   answers `{code: 0, msg: "success"}`.
 * Robots secured by a keyword (自定义关键词) need it in the message: it is put first when missing.
 */
import { hmacSha256 } from "@parkbridge/shared";
import type { IDataObject } from "n8n-workflow";

export const robotServices = [
  { value: "wecom", name: "WeCom (企业微信)" },
  { value: "dingtalk", name: "DingTalk (钉钉)" },
  { value: "feishu", name: "Feishu / Lark (飞书)" },
] as const;
export type RobotService = (typeof robotServices)[number]["value"];

export interface RobotTarget {
  service: RobotService;
  webhookUrl: string;
  /** DingTalk's 加签 secret (SEC…) or Feishu's 签名校验 secret; none for WeCom. */
  secret?: string;
  /** The robot's custom keyword, if it is secured by one. */
  keyword?: string;
}

export interface RobotMessage {
  format: "markdown" | "text";
  title?: string;
  text: string;
  mentionAll?: boolean;
  /** Mobile numbers to @ (WeCom text messages and DingTalk; Feishu mentions need user ids). */
  mentionMobiles?: string[];
}

/** The longest message each robot takes, in UTF-8 bytes (their documented limits). */
const LIMITS: Record<RobotService, Record<RobotMessage["format"], number>> = {
  wecom: { text: 2048, markdown: 4096 },
  dingtalk: { text: 20_000, markdown: 20_000 },
  feishu: { text: 20_000, markdown: 28_000 },
};

const encoder = new TextEncoder();
const toBase64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

/** `text` cut to `limit` UTF-8 bytes at a line (or character) boundary, saying it was cut. */
export function fitBytes(text: string, limit: number): { text: string; truncated: boolean } {
  if (encoder.encode(text).length <= limit) return { text, truncated: false };
  const note = "\n…(message shortened: the robot takes no more)";
  const budget = limit - encoder.encode(note).length;
  let cut = "";
  let size = 0;
  for (const char of text) {
    const bytes = encoder.encode(char).length;
    if (size + bytes > budget) break;
    cut += char;
    size += bytes;
  }
  const atLine = cut.lastIndexOf("\n");
  return { text: `${atLine > budget / 2 ? cut.slice(0, atLine) : cut}${note}`, truncated: true };
}

function withKeyword(message: RobotMessage, keyword: string | undefined): RobotMessage {
  if (!keyword || `${message.title ?? ""}\n${message.text}`.includes(keyword)) return message;
  return message.title
    ? { ...message, title: `${keyword} ${message.title}` }
    : { ...message, text: `${keyword} ${message.text}` };
}

export interface RobotRequest {
  url: string;
  body: IDataObject;
  truncated: boolean;
}

/** The request one message makes to a robot at `now` (Unix ms). */
export async function robotRequest(
  target: RobotTarget,
  original: RobotMessage,
  now = Date.now(),
): Promise<RobotRequest> {
  const message = withKeyword(original, target.keyword?.trim());
  const mobiles = message.mentionMobiles ?? [];
  // Feishu's card has its own header for the title; the others start the text with it.
  const inHeader = target.service === "feishu" && message.format === "markdown";
  const title = message.title && !inHeader ? message.title : undefined;
  const heading = !title
    ? ""
    : message.format === "text"
      ? `${title}\n`
      : target.service === "dingtalk"
        ? `### ${title}\n`
        : `**${title}**\n`;
  const { text, truncated } = fitBytes(`${heading}${message.text}`, LIMITS[target.service][message.format]);
  const secret = target.secret?.trim();
  switch (target.service) {
    case "wecom": {
      const body: IDataObject =
        message.format === "markdown"
          ? { msgtype: "markdown", markdown: { content: text } }
          : {
              msgtype: "text",
              text: { content: text, mentioned_mobile_list: [...mobiles, ...(message.mentionAll ? ["@all"] : [])] },
            };
      return { url: target.webhookUrl, body, truncated };
    }
    case "dingtalk": {
      // DingTalk shows a mention only where the text names it.
      const named = mobiles.map((mobile) => `@${mobile}`).join(" ");
      const content = named ? `${text}\n${named}` : text;
      const at = { atMobiles: mobiles, isAtAll: message.mentionAll === true };
      const body: IDataObject =
        message.format === "markdown"
          ? { msgtype: "markdown", markdown: { title: message.title ?? firstLine(message.text), text: content }, at }
          : { msgtype: "text", text: { content }, at };
      let url = target.webhookUrl;
      if (secret) {
        const sign = toBase64(await hmacSha256(secret, `${now}\n${secret}`));
        url += `${url.includes("?") ? "&" : "?"}timestamp=${now}&sign=${encodeURIComponent(sign)}`;
      }
      return { url, body, truncated };
    }
    case "feishu": {
      const everyone = message.mentionAll
        ? message.format === "markdown"
          ? "\n<at id=all></at>"
          : ' <at user_id="all">所有人</at>'
        : "";
      const body: IDataObject =
        message.format === "markdown"
          ? {
              msg_type: "interactive",
              card: {
                config: { wide_screen_mode: true },
                ...(message.title ? { header: { title: { tag: "plain_text", content: message.title } } } : {}),
                elements: [{ tag: "markdown", content: `${text}${everyone}` }],
              },
            }
          : { msg_type: "text", content: { text: `${text}${everyone}` } };
      if (secret) {
        const timestamp = Math.floor(now / 1000);
        body.timestamp = String(timestamp);
        body.sign = toBase64(await hmacSha256(`${timestamp}\n${secret}`, ""));
      }
      return { url: target.webhookUrl, body, truncated };
    }
  }
}

const firstLine = (text: string) => text.split("\n", 1)[0]?.slice(0, 64) || "Notification";

/** Whether a robot's answer says it posted the message, and its own code and message if not. */
export function robotAnswer(
  service: RobotService,
  answer: unknown,
): { ok: true } | { ok: false; code: string; message: string; hint?: string } {
  const body = (answer && typeof answer === "object" ? answer : {}) as Record<string, unknown>;
  const code = service === "feishu" ? (body.code ?? body.StatusCode) : body.errcode;
  if (code === 0 || code === "0") return { ok: true };
  const message = String((service === "feishu" ? (body.msg ?? body.StatusMessage) : body.errmsg) ?? "no answer");
  return { ok: false, code: String(code ?? "?"), message, ...(hintFor(service, String(code), message) ?? {}) };
}

function hintFor(service: RobotService, code: string, message: string): { hint: string } | undefined {
  if (service === "dingtalk" && code === "310000") {
    return { hint: "The robot's security settings refused it: check the signing secret (加签) or the keyword." };
  }
  if (service === "dingtalk" && code === "300001") return { hint: "The access_token in the Webhook URL is not valid." };
  if (service === "feishu" && code === "19021")
    return { hint: "Check the signing secret (签名校验) and this machine's clock." };
  if (service === "feishu" && code === "19024")
    return { hint: "The message lacks the robot's keyword: set it in the credential." };
  if (service === "wecom" && code === "93000") return { hint: "The key in the Webhook URL is not valid." };
  if (/freq|too fast|limit/i.test(message))
    return { hint: "Robots take about 20 messages a minute: send fewer, or wait." };
  return undefined;
}

/**
 * A request that proves the address and signature without posting anything: signed as a message
 * is, but of a message type no robot knows, which each refuses only after checking the key or
 * token and the signature.
 */
export async function probeRequest(target: RobotTarget, now = Date.now()): Promise<RobotRequest> {
  const signed = await robotRequest(target, { format: "text", text: target.keyword?.trim() || "parkbridge" }, now);
  const body: IDataObject =
    target.service === "feishu"
      ? {
          msg_type: "parkbridge_check",
          ...(signed.body.sign ? { timestamp: signed.body.timestamp, sign: signed.body.sign } : {}),
        }
      : { msgtype: "parkbridge_check" };
  return { url: signed.url, body, truncated: false };
}

/** The refusals that mean a wrong address, token, signature or source address (documented codes). */
const CREDENTIAL_REFUSALS: Record<RobotService, string[]> = {
  wecom: ["93000", "93004"],
  dingtalk: ["300001", "300005", "310000"],
  feishu: ["19001", "19021", "19022"],
};

/** What a robot's answer to the probe says about the credential. */
export function probeVerdict(service: RobotService, answer: unknown): { ok: boolean; message: string } {
  const verdict = robotAnswer(service, answer);
  if (verdict.ok) return { ok: true, message: "The robot accepted the request" };
  // A keyword robot refuses a message without the keyword only after the token and signature passed.
  const keywordOnly = /key ?words?/i.test(verdict.message) && !/sign/i.test(verdict.message);
  if (CREDENTIAL_REFUSALS[service].includes(verdict.code) && !keywordOnly) {
    return {
      ok: false,
      message: `${verdict.message} (code ${verdict.code})${verdict.hint ? `. ${verdict.hint}` : ""}`,
    };
  }
  return {
    ok: true,
    message: `Address and signature accepted (the robot refused the empty check message: ${verdict.message})`,
  };
}
