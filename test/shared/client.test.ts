import {
  createPlatformClient,
  md5Hex,
  type PlatformClientOptions,
  PlatformError,
  TransportError,
} from "@parkbridge/shared";
import { describe, expect, it } from "vitest";
import { operationExamples } from "./fixtures/seed-examples.js";
import { validInputs } from "./fixtures/valid-inputs.js";
import {
  type FakeServer,
  fakePlatforms,
  ok,
  type ReceivedRequest,
  refused,
  tokenAnswer,
} from "./helpers/fake-server.js";

const lanes = [{ laneNo: "1", laneName: "入口车道1" }];
const platform = fakePlatforms();

const fast = { appKey: "app-1", appSecret: "secret-1", retryDelayMs: 5, timeoutMs: 2000 } as const;
const client = (server: FakeServer, options: Partial<PlatformClientOptions> = {}) =>
  createPlatformClient({ baseUrl: server.url, ...fast, ...options });
const tokenOf = (request: ReceivedRequest) => request.headers.accesstoken;

describe("AccessToken", () => {
  it("is fetched lazily with the documented request, then cached", async () => {
    let issued = 0;
    const server = await platform((request) =>
      request.path === "/getAccessToken" ? tokenAnswer(`tok-${++issued}`) : ok(lanes, "data"),
    );
    const c = client(server);
    expect(server.requests).toHaveLength(0);

    await c.listLanes({ parkingId: "park123" });
    await c.listLanes({ parkingId: "park123" });
    await c.getLotStats({ parkingId: "park123" }).catch(() => undefined);

    const [tokenRequest] = server.to("/getAccessToken");
    expect(server.to("/getAccessToken")).toHaveLength(1);
    expect(tokenRequest?.method).toBe("POST");
    const { appKey, timestamp, sign } = (tokenRequest?.body ?? {}) as {
      appKey?: string;
      timestamp?: number;
      sign?: string;
    };
    expect(appKey).toBe("app-1");
    expect(sign).toBe(md5Hex(`app-1${timestamp}secret-1`));
    expect(server.to("/listLanes").map(tokenOf)).toEqual(["tok-1", "tok-1"]);
    expect(c.stats.tokenFetches).toBe(1);
  });

  it("is refreshed before it expires (and not earlier)", async () => {
    let clock = Date.UTC(2026, 10, 22, 0, 0, 0);
    let issued = 0;
    const server = await platform((request) =>
      request.path === "/getAccessToken" ? tokenAnswer(`tok-${++issued}`, 7200) : ok(lanes, "data"),
    );
    const c = client(server, { now: () => clock, tokenRefreshMarginMs: 60_000 });
    await c.listLanes({});
    clock += 7200_000 - 61_000; // a minute and a second before expiry: still good
    await c.listLanes({});
    clock += 2_000; // inside the margin: refresh first
    await c.listLanes({});
    expect(server.to("/listLanes").map(tokenOf)).toEqual(["tok-1", "tok-1", "tok-2"]);
    expect(server.to("/getAccessToken")).toHaveLength(2);
  });

  it("a short-lived token is refreshed a tenth of its life early at most", async () => {
    let clock = 1_000_000;
    let issued = 0;
    const server = await platform((request) =>
      request.path === "/getAccessToken" ? tokenAnswer(`tok-${++issued}`, 100) : ok(lanes, "data"),
    );
    const c = client(server, { now: () => clock });
    await c.listLanes({});
    clock += 89_000; // 90 s in, the 60 s default margin would already be past: kept
    await c.listLanes({});
    clock += 2_000;
    await c.listLanes({});
    expect(server.to("/listLanes").map(tokenOf)).toEqual(["tok-1", "tok-1", "tok-2"]);
  });

  it("is refreshed once on a token-error answer, then the call succeeds", async () => {
    let issued = 0;
    const server = await platform((request) => {
      if (request.path === "/getAccessToken") return tokenAnswer(`tok-${++issued}`);
      return tokenOf(request) === "tok-1" ? refused("AccessToken已过期") : ok(lanes, "data");
    });
    const c = client(server);
    await expect(c.listLanes({})).resolves.toEqual(lanes);
    expect(server.to("/listLanes").map(tokenOf)).toEqual(["tok-1", "tok-2"]);
    expect(server.to("/getAccessToken")).toHaveLength(2);
  });

  it("a write refused for its token is sent again after the refresh (the platform did not act)", async () => {
    let issued = 0;
    const server = await platform((request) => {
      if (request.path === "/getAccessToken") return tokenAnswer(`tok-${++issued}`);
      return tokenOf(request) === "tok-1" ? refused("token invalid") : ok();
    });
    await client(server).openGate({ laneId: "lane-1" });
    expect(server.to("/openGate").map(tokenOf)).toEqual(["tok-1", "tok-2"]);
  });

  it("never loops: a refreshed token refused again ends in a PlatformError", async () => {
    let issued = 0;
    const server = await platform((request) =>
      request.path === "/getAccessToken" ? tokenAnswer(`tok-${++issued}`) : refused("AccessToken无效"),
    );
    const error = await client(server)
      .listLanes({})
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformError);
    expect(error).toMatchObject({ operationId: "listLanes", code: 1, msg: "AccessToken无效" });
    expect(server.to("/listLanes")).toHaveLength(2);
    expect(server.to("/getAccessToken")).toHaveLength(2);
  });

  it("never loops: when the refresh itself is refused, its msg reaches the caller", async () => {
    let issued = 0;
    const server = await platform((request) => {
      if (request.path === "/getAccessToken") return ++issued === 1 ? tokenAnswer("tok-1") : refused("appKey不存在");
      return refused("AccessToken已过期");
    });
    const error = await client(server)
      .listLanes({})
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformError);
    expect(error).toMatchObject({ operationId: "getAccessToken", code: 1, msg: "appKey不存在" });
    expect(server.to("/listLanes")).toHaveLength(1);
    expect(server.to("/getAccessToken")).toHaveLength(2);
  });

  it("an ordinary refusal does not refresh the token", async () => {
    const server = await platform((request) =>
      request.path === "/getAccessToken" ? tokenAnswer("tok-1") : refused("车牌号已存在"),
    );
    await expect(client(server).addVehicle(validInputs.addVehicle)).rejects.toThrow(PlatformError);
    expect(server.to("/getAccessToken")).toHaveLength(1);
    expect(server.to("/addVehicle")).toHaveLength(1);
  });

  it("concurrent calls share one token fetch", async () => {
    const server = await platform((request) =>
      request.path === "/getAccessToken" ? { ...tokenAnswer("tok-1"), delayMs: 50 } : ok(lanes, "data"),
    );
    const c = client(server);
    await Promise.all(Array.from({ length: 8 }, () => c.listLanes({})));
    expect(server.to("/getAccessToken")).toHaveLength(1);
    expect(server.to("/listLanes")).toHaveLength(8);
  });

  it("concurrent calls refused for an expired token share one refresh", async () => {
    let issued = 0;
    const server = await platform((request) => {
      if (request.path === "/getAccessToken") return { ...tokenAnswer(`tok-${++issued}`), delayMs: 30 };
      return tokenOf(request) === "tok-1" ? refused("AccessToken已过期") : ok(lanes, "data");
    });
    const c = client(server);
    await c.accessToken();
    const results = await Promise.all(Array.from({ length: 6 }, () => c.listLanes({})));
    expect(results).toEqual(Array.from({ length: 6 }, () => lanes));
    expect(server.to("/getAccessToken")).toHaveLength(2);
  });

  it("a shared token is used as it is, a new one is stored, and one the platform refused is not used again", async () => {
    let issued = 0;
    const server = await platform((request) => {
      if (request.path === "/getAccessToken") return tokenAnswer(`tok-${++issued}`);
      return tokenOf(request) === "shared-stale" ? refused("AccessToken已过期") : ok(lanes, "data");
    });
    const stored: Array<{ value: string; refreshAt: number }> = [];
    let shared: { value: string; refreshAt: number } | undefined = {
      value: "shared-1",
      refreshAt: Date.now() + 60_000,
    };
    const sharedToken = {
      load: async () => shared,
      store: async (token: { value: string; refreshAt: number }) => {
        stored.push(token);
      },
    };
    // A usable shared token: no token request at all.
    await client(server, { sharedToken }).listLanes({});
    expect(server.to("/getAccessToken")).toHaveLength(0);
    expect(server.to("/listLanes").map(tokenOf)).toEqual(["shared-1"]);
    // None shared yet: this client fetches one and shares it.
    shared = undefined;
    await client(server, { sharedToken }).listLanes({});
    expect(stored.map((t) => t.value)).toEqual(["tok-1"]);
    // The shared one is refused: the store still hands it out, so the client fetches (once) and shares the new one.
    shared = { value: "shared-stale", refreshAt: Date.now() + 60_000 };
    expect(await client(server, { sharedToken }).listLanes({})).toEqual(lanes);
    expect(stored.map((t) => t.value)).toEqual(["tok-1", "tok-2"]);
    // refreshToken fetches whatever is cached.
    const c = client(server, { sharedToken });
    expect(await c.refreshToken()).toBe("tok-3");
  });

  it("invalidateToken makes the next call fetch a new one", async () => {
    let issued = 0;
    const server = await platform((request) =>
      request.path === "/getAccessToken" ? tokenAnswer(`tok-${++issued}`) : ok(lanes, "data"),
    );
    const c = client(server);
    expect(await c.accessToken()).toBe("tok-1");
    c.invalidateToken();
    await c.listLanes({});
    expect(server.to("/listLanes").map(tokenOf)).toEqual(["tok-2"]);
  });
});

describe("retries", () => {
  it("a read is retried on 5xx with backoff, then succeeds", async () => {
    let failures = 2;
    const server = await platform((request) => {
      if (request.path === "/getAccessToken") return tokenAnswer("tok-1");
      return failures-- > 0 ? { status: 502, text: "Bad Gateway" } : ok(lanes, "data");
    });
    const c = client(server, { retries: 2 });
    await expect(c.listLanes({})).resolves.toEqual(lanes);
    expect(server.to("/listLanes")).toHaveLength(3);
    expect(c.stats.retries).toBe(2);
  });

  it("a read is retried on a timeout, then succeeds", async () => {
    let first = true;
    const server = await platform((request) => {
      if (request.path === "/getAccessToken") return tokenAnswer("tok-1");
      if (first) {
        first = false;
        return { hang: true };
      }
      return ok(lanes, "data");
    });
    await expect(client(server, { timeoutMs: 500 }).listLanes({})).resolves.toEqual(lanes);
    expect(server.to("/listLanes")).toHaveLength(2);
  });

  it("a read gives up after its retries with the TransportError", async () => {
    const server = await platform((request) =>
      request.path === "/getAccessToken" ? tokenAnswer("tok-1") : { status: 503, text: "Service Unavailable" },
    );
    const error = await client(server, { retries: 2 })
      .listLanes({})
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ operationId: "listLanes", kind: "http", httpStatus: 503 });
    expect(server.to("/listLanes")).toHaveLength(3);
  });

  it("a read is not retried on a 4xx answer (it will not change)", async () => {
    const server = await platform((request) =>
      request.path === "/getAccessToken" ? tokenAnswer("tok-1") : { status: 404, text: "Not Found" },
    );
    await expect(client(server).listLanes({})).rejects.toMatchObject({ kind: "http", httpStatus: 404 });
    expect(server.to("/listLanes")).toHaveLength(1);
  });

  it("a write is not retried on 5xx", async () => {
    const server = await platform((request) =>
      request.path === "/getAccessToken" ? tokenAnswer("tok-1") : { status: 500, text: "Internal Server Error" },
    );
    const error = await client(server, { retries: 3 })
      .addVehicle(validInputs.addVehicle)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ operationId: "addVehicle", kind: "http", httpStatus: 500 });
    expect(server.to("/addVehicle")).toHaveLength(1);
  });

  it("a write is not retried on a timeout", async () => {
    const server = await platform((request) =>
      request.path === "/getAccessToken" ? tokenAnswer("tok-1") : { hang: true },
    );
    const error = await client(server, { retries: 3, timeoutMs: 300 })
      .issueCoupon(validInputs.issueCoupon)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ operationId: "issueCoupon", kind: "timeout" });
    expect(server.to("/issueCoupon")).toHaveLength(1);
  });

  it("a write is not retried when the connection drops after sending", async () => {
    const server = await platform((request) =>
      request.path === "/getAccessToken" ? tokenAnswer("tok-1") : { destroy: true },
    );
    await expect(client(server, { retries: 3 }).openGate({ laneId: "1" })).rejects.toMatchObject({
      operationId: "openGate",
      kind: "network",
    });
    expect(server.to("/openGate")).toHaveLength(1);
  });

  it("a write is retried when the connection was refused (it never reached the platform)", async () => {
    const server = await platform((request) => (request.path === "/getAccessToken" ? tokenAnswer("tok-1") : ok()));
    let refusedAttempts = 0;
    const c = client(server, {
      retries: 2,
      retryDelayMs: 50,
      // Watches the wire only: when a request is refused, the platform comes back up.
      fetch: async (input, init) => {
        try {
          return await fetch(input, init);
        } catch (error) {
          refusedAttempts++;
          await server.reopen();
          throw error;
        }
      },
    });
    await c.accessToken();
    await server.close();
    await c.deleteVehicle(validInputs.deleteVehicle);
    expect(refusedAttempts).toBe(1);
    expect(server.to("/deleteVehicle")).toHaveLength(1);
    expect(c.stats.retries).toBe(1);
  });

  it("retries: 0 turns retrying off", async () => {
    const server = await platform((request) =>
      request.path === "/getAccessToken" ? tokenAnswer("tok-1") : { status: 500, text: "oops" },
    );
    await expect(client(server, { retries: 0 }).listLanes({})).rejects.toBeInstanceOf(TransportError);
    expect(server.to("/listLanes")).toHaveLength(1);
  });
});

describe("errors", () => {
  it("a refusal is a PlatformError with operationId, code and the platform's msg", async () => {
    const server = await platform((request) =>
      request.path === "/getAccessToken" ? tokenAnswer("tok-1") : refused("车牌号已存在"),
    );
    const error = await client(server)
      .addVehicle(validInputs.addVehicle)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformError);
    expect(error).toMatchObject({ operationId: "addVehicle", code: 1, msg: "车牌号已存在", httpStatus: 200 });
    expect((error as Error).message).toContain("车牌号已存在");
  });

  it("a timeout is a TransportError of kind timeout", async () => {
    const server = await platform((request) =>
      request.path === "/getAccessToken" ? tokenAnswer("tok-1") : { hang: true },
    );
    const error = await client(server, { retries: 1, timeoutMs: 200 })
      .listLanes({})
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ operationId: "listLanes", kind: "timeout" });
    expect((error as Error).message).toMatch(/no answer within 200 ms/);
  });

  it("an answer that stalls half-way is a timeout too (retried as a read)", async () => {
    const server = await platform((request) =>
      request.path === "/getAccessToken" ? tokenAnswer("tok-1") : { partial: '{"code":0,"msg":"操作' },
    );
    const error = await client(server, { retries: 1, timeoutMs: 200 })
      .listLanes({})
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ operationId: "listLanes", kind: "timeout" });
    expect((error as Error).message).toMatch(/no complete answer within 200 ms/);
    expect(server.to("/listLanes")).toHaveLength(2);
  });

  it("an answer that is not the envelope is a malformed TransportError (not retried)", async () => {
    const server = await platform((request) =>
      request.path === "/getAccessToken" ? tokenAnswer("tok-1") : { text: "<html>hello</html>" },
    );
    await expect(client(server).listLanes({})).rejects.toMatchObject({ kind: "malformed" });
    expect(server.to("/listLanes")).toHaveLength(1);
  });

  it("an answer that does not match the catalogue names the field", async () => {
    const server = await platform((request) =>
      request.path === "/getAccessToken" ? tokenAnswer("tok-1") : ok({ usedLot: 3 }, "data"),
    );
    await expect(client(server).getLotStats({})).rejects.toThrow(/does not match the catalogue: totalLot is required/);
  });

  it("no platform at all is a network TransportError (after the read's retries)", async () => {
    const server = await platform(() => tokenAnswer("tok-1"));
    await server.close();
    const error = await client(server, { retries: 1 })
      .listLanes({})
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ operationId: "getAccessToken", kind: "network" });
  });
});

describe("wire format", () => {
  it("POSTs JSON to {baseUrl}/{operationId} with the AccessToken header by default", async () => {
    const server = await platform((request) =>
      request.path === "/getAccessToken" ? tokenAnswer("tok 1/+") : { text: operationExamples.deleteVehicle },
    );
    await client(server).deleteVehicle(validInputs.deleteVehicle);
    const [sent] = server.to("/deleteVehicle");
    expect(sent?.method).toBe("POST");
    expect(sent?.headers["content-type"]).toMatch(/^application\/json/);
    expect(sent?.headers.accesstoken).toBe("tok 1/+");
    expect(sent?.query.has("AccessToken")).toBe(false);
    expect(sent?.rawBody).toBe(JSON.stringify(validInputs.deleteVehicle));
  });

  it('tokenIn: "query" puts the token in the query string, not a header', async () => {
    const server = await platform((request) =>
      request.path === "/getAccessToken" ? tokenAnswer("tok 1/+") : ok(lanes, "data"),
    );
    await client(server, { tokenIn: "query" }).listLanes({});
    const [sent] = server.to("/listLanes");
    expect(sent?.query.get("AccessToken")).toBe("tok 1/+");
    expect(sent?.headers.accesstoken).toBeUndefined();
    // The token request itself carries no token.
    expect(server.to("/getAccessToken")[0]?.query.has("AccessToken")).toBe(false);
  });

  it("path overrides and a base URL with a prefix are honoured, other paths keep their defaults", async () => {
    const server = await platform((request) => {
      if (request.path === "/api/v2/oauth/token") return tokenAnswer("tok-1");
      if (request.path === "/api/v2/lanes/list") return ok(lanes, "data");
      if (request.path === "/api/v2/getLotStats") return { text: operationExamples.getLotStats };
      return { status: 404, text: "no such path" };
    });
    const c = createPlatformClient({
      ...fast,
      baseUrl: `${server.url}/api/v2/`,
      paths: { getAccessToken: "/oauth/token", listLanes: "lanes/list" },
      tokenIn: "query",
    });
    await expect(c.listLanes({})).resolves.toEqual(lanes);
    await expect(c.getLotStats({})).resolves.toMatchObject({ totalLot: 500 });
    expect(server.requests.map((r) => r.path)).toEqual([
      "/api/v2/oauth/token",
      "/api/v2/lanes/list",
      "/api/v2/getLotStats",
    ]);
  });

  it("sends Chinese characters as UTF-8, unmangled", async () => {
    const server = await platform((request) => (request.path === "/getAccessToken" ? tokenAnswer("tok-1") : ok()));
    await client(server).addVehicle(validInputs.addVehicle);
    expect(server.to("/addVehicle")[0]?.body).toMatchObject({ vehicleCode: "鲁A12345", userName: "张三" });
  });

  it("listParkingLots may be called without an input", async () => {
    const server = await platform((request) =>
      request.path === "/getAccessToken" ? tokenAnswer("tok-1") : { text: operationExamples.listParkingLots },
    );
    await expect(client(server).listParkingLots()).resolves.toEqual([
      { value: "park1", text: "一号停车场" },
      { value: "park2", text: "二号停车场" },
    ]);
    expect(server.to("/listParkingLots")[0]?.rawBody).toBe("{}");
  });

  it("an answer under the other key (`data` for a `result` operation) is accepted", async () => {
    const server = await platform((request) =>
      request.path === "/getAccessToken" ? tokenAnswer("tok-1") : ok([{ value: 7, text: "七号" }], "data"),
    );
    await expect(client(server).listParkingLots()).resolves.toEqual([{ value: "7", text: "七号" }]);
  });
});
