// A local stand-in for the three group robots (WeCom, DingTalk, Feishu), for tests and the e2e:
// it checks what each real robot checks, with its own implementation of their published rules
// (node:crypto, not our signer), answers in each one's own envelope, and records every message.
//   WeCom    POST /wecom/cgi-bin/webhook/send?key=<key>                   {errcode, errmsg}
//   DingTalk POST /dingtalk/robot/send?access_token=<t>&timestamp=&sign=   {errcode, errmsg}
//     sign = urlencode(base64(HMAC-SHA256(secret, timestamp + "\n" + secret))), timestamp ms within 1 h
//   Feishu   POST /feishu/open-apis/bot/v2/hook/<hook>                     {code, msg}
//     body.sign = base64(HMAC-SHA256(key = timestamp + "\n" + secret, message = "")), timestamp s within 1 h;
//     this one is also secured by a keyword (ROBOTS.feishu.keyword).
//   GET /__robots/messages → every accepted message; DELETE /__robots/messages clears them.
// Standalone: node robot-receiver.mjs [port] → prints "robots listening on http://127.0.0.1:<port>".
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import { fileURLToPath } from "node:url";

export const ROBOTS = {
  wecom: { key: "wecom-e2e-key" },
  dingtalk: { token: "dingtalk-e2e-token", secret: "SECdingtalk-e2e-secret" },
  feishu: { hook: "feishu-e2e-hook", secret: "feishu-e2e-secret", keyword: "停车" },
};

/** The webhook URL and secret of each robot at a receiver's base URL. */
export function robotCredentials(base) {
  return {
    wecom: { service: "wecom", webhookUrl: `${base}/wecom/cgi-bin/webhook/send?key=${ROBOTS.wecom.key}` },
    dingtalk: {
      service: "dingtalk",
      webhookUrl: `${base}/dingtalk/robot/send?access_token=${ROBOTS.dingtalk.token}`,
      secret: ROBOTS.dingtalk.secret,
    },
    feishu: {
      service: "feishu",
      webhookUrl: `${base}/feishu/open-apis/bot/v2/hook/${ROBOTS.feishu.hook}`,
      secret: ROBOTS.feishu.secret,
      keyword: ROBOTS.feishu.keyword,
    },
  };
}

const same = (a, b) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
const hmac = (key, message) => createHmac("sha256", key).update(message).digest("base64");
const withinHour = (ms) => Math.abs(Date.now() - ms) <= 3600_000;

/** One robot's verdict on a request: its own answer, and the message if it posted one. */
function judge(url, body) {
  const query = url.searchParams;
  if (url.pathname === "/wecom/cgi-bin/webhook/send") {
    if (query.get("key") !== ROBOTS.wecom.key) return { answer: { errcode: 93000, errmsg: "invalid webhook url" } };
    const ok =
      (body.msgtype === "text" && typeof body.text?.content === "string") ||
      (body.msgtype === "markdown" && typeof body.markdown?.content === "string");
    if (!ok) return { answer: { errcode: 40008, errmsg: "invalid message type" } };
    const content = body.text?.content ?? body.markdown?.content;
    if (Buffer.byteLength(content) > (body.msgtype === "text" ? 2048 : 4096)) {
      return { answer: { errcode: 40058, errmsg: "content exceed max length" } };
    }
    return { answer: { errcode: 0, errmsg: "ok" }, message: { service: "wecom", body, text: content } };
  }
  if (url.pathname === "/dingtalk/robot/send") {
    if (query.get("access_token") !== ROBOTS.dingtalk.token) {
      return { answer: { errcode: 300001, errmsg: "token is not exist" } };
    }
    const timestamp = query.get("timestamp") ?? "";
    const expected = encodeURIComponent(hmac(ROBOTS.dingtalk.secret, `${timestamp}\n${ROBOTS.dingtalk.secret}`));
    // The query was decoded once by URLSearchParams: compare the sign as sent (URL-encoded).
    const sentSign = /[?&]sign=([^&]*)/.exec(url.search)?.[1] ?? "";
    if (!withinHour(Number(timestamp)) || !same(sentSign, expected)) {
      return {
        answer: {
          errcode: 310000,
          errmsg: "sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]",
        },
      };
    }
    const text =
      body.msgtype === "text" ? body.text?.content : body.msgtype === "markdown" ? body.markdown?.text : undefined;
    if (typeof text !== "string" || (body.msgtype === "markdown" && typeof body.markdown?.title !== "string")) {
      return { answer: { errcode: 40035, errmsg: "缺少参数 json" } };
    }
    return { answer: { errcode: 0, errmsg: "ok" }, message: { service: "dingtalk", body, text } };
  }
  if (url.pathname === `/feishu/open-apis/bot/v2/hook/${ROBOTS.feishu.hook}`) {
    const expected = hmac(`${body.timestamp}\n${ROBOTS.feishu.secret}`, "");
    if (!withinHour(Number(body.timestamp) * 1000) || typeof body.sign !== "string" || !same(body.sign, expected)) {
      return {
        answer: { code: 19021, msg: "sign match fail or timestamp is not within one hour from current time", data: {} },
      };
    }
    const text =
      body.msg_type === "text"
        ? body.content?.text
        : body.msg_type === "interactive"
          ? [body.card?.header?.title?.content ?? "", ...(body.card?.elements ?? []).map((e) => e.content ?? "")].join(
              "\n",
            )
          : undefined;
    if (typeof text !== "string") return { answer: { code: 9499, msg: "Bad Request", data: {} } };
    if (!text.includes(ROBOTS.feishu.keyword)) return { answer: { code: 19024, msg: "Key Words Not Found", data: {} } };
    return { answer: { code: 0, msg: "success", data: {} }, message: { service: "feishu", body, text } };
  }
  return { status: 404, answer: { error: "no such robot" } };
}

export async function startRobots(port = 0) {
  const messages = [];
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://robots");
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const raw = Buffer.concat(chunks).toString("utf8");
    const reply = (status, body) => {
      res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === "/__robots/messages") {
      if (req.method === "DELETE") messages.length = 0;
      return reply(200, messages);
    }
    let body;
    try {
      body = JSON.parse(raw);
    } catch {
      return reply(200, { errcode: 40001, errmsg: "invalid json" });
    }
    const verdict = judge(url, body);
    if (verdict.message) messages.push({ ...verdict.message, at: Date.now() });
    reply(verdict.status ?? 200, verdict.answer);
  });
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    messages,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const robots = await startRobots(Number(process.argv[2] ?? 0));
  console.log(`robots listening on ${robots.url}`);
  const stop = () => robots.close().then(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
