/**
 * The upstream credentials strategies refuse at startup, with a TypeError
 * naming the option, what would forward the downstream token or send a
 * token in clear: an audience or resource that is the gateway's own, a
 * token endpoint that is not https off loopback. Static headers are checked
 * and sent as given.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { clientCredentials, staticHeaders, tokenExchange } from "../../../src/gateway/mod.ts";

const CLIENT = {
  tokenEndpoint: "https://auth.example.com/token",
  clientId: "gateway",
  clientSecret: "s3cret",
};
const GATEWAY = "https://mcp.example.com/mcp";

describe("gateway credentials: options", () => {
  it("refuses an exchange for the gateway's own resource or audience", () => {
    assert.throws(
      () => tokenExchange({ ...CLIENT, resource: GATEWAY, gatewayResource: GATEWAY }),
      (error) => error instanceof TypeError && /Option resource/.test(error.message),
    );
    assert.throws(
      () =>
        tokenExchange({
          ...CLIENT,
          audience: `${GATEWAY}`,
          gatewayResource: "https://MCP.example.com/mcp",
        }),
      (error) => error instanceof TypeError && /Option audience/.test(error.message),
    );
    assert.equal(
      typeof tokenExchange({
        ...CLIENT,
        resource: "https://files.internal/mcp",
        gatewayResource: GATEWAY,
      }),
      "function",
    );
  });

  it("refuses an exchange that names no audience or resource", () => {
    assert.throws(() => tokenExchange({ ...CLIENT }), /Option audience or resource/);
  });

  it("refuses a token endpoint that is not https, except on loopback", () => {
    for (
      const make of [
        (tokenEndpoint: string) => tokenExchange({ ...CLIENT, tokenEndpoint, audience: "files" }),
        (tokenEndpoint: string) => clientCredentials({ ...CLIENT, tokenEndpoint }),
      ]
    ) {
      assert.throws(() => make("http://auth.example.com/token"), /Option tokenEndpoint/);
      assert.throws(() => make("not a url"), /Option tokenEndpoint/);
      assert.equal(typeof make("http://127.0.0.1:9000/token"), "function");
    }
  });

  it("refuses a missing client id or secret", () => {
    assert.throws(() => clientCredentials({ ...CLIENT, clientSecret: "" }), /Option clientSecret/);
  });

  it("checks static headers and never echoes a value", async () => {
    assert.throws(() => staticHeaders({ "bad name": "x" }), /not a header name/);
    assert.throws(
      () => staticHeaders({ "x-api-key": "secret\r\nx-evil: 1" }),
      (error) => error instanceof TypeError && !error.message.includes("secret"),
    );
    const headers = staticHeaders({ "x-api-key": "k-123" });
    assert.deepEqual(await headers({ id: "alice" }), { "x-api-key": "k-123" });
  });
});
