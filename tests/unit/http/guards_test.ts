/** Header guards: Host/Origin (DNS rebinding), Accept and Content-Type. */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { DEFAULTS } from "../../../src/config/defaults.ts";
import {
  checkContentType,
  checkGetAccept,
  checkHostAndOrigin,
  checkPostAccept,
  compileOriginPolicy,
  hostName,
} from "../../../src/http/guards.ts";

function request(headers: Record<string, string>, url = "http://127.0.0.1:8787/mcp"): Request {
  return new Request(url, { headers });
}

describe("hostName", () => {
  it("strips the port and lower-cases, keeping IPv6 brackets", () => {
    assert.equal(hostName("Example.COM:8080"), "example.com");
    assert.equal(hostName("localhost"), "localhost");
    assert.equal(hostName("[::1]:9000"), "[::1]");
    assert.equal(hostName("[::1]"), "[::1]");
  });
});

describe("checkHostAndOrigin", () => {
  const defaults = compileOriginPolicy(DEFAULTS.security.allowedHosts);

  it("allows the loopback names by default, with any port", () => {
    assert.deepEqual([...DEFAULTS.security.allowedHosts], ["localhost", "127.0.0.1", "[::1]"]);
    for (const host of ["localhost", "localhost:1", "127.0.0.1:65535", "[::1]:8080"]) {
      assert.equal(checkHostAndOrigin(request({ host }), defaults), undefined, host);
    }
  });

  it("refuses other hosts with 403", () => {
    for (const host of ["evil.example.com", "127.0.0.2", "[::2]", "localhost.evil.com"]) {
      assert.equal(checkHostAndOrigin(request({ host }), defaults)?.status, 403, host);
    }
  });

  it("an allowed Host does not let the next, different one through", () => {
    const policy = compileOriginPolicy(["api.example.com:8443"]);
    for (let round = 0; round < 2; round++) {
      assert.equal(
        checkHostAndOrigin(request({ host: "api.example.com:8443" }), policy),
        undefined,
      );
      assert.equal(
        checkHostAndOrigin(request({ host: "api.example.com:8444" }), policy)?.status,
        403,
      );
      assert.equal(checkHostAndOrigin(request({ host: "evil.example.com" }), policy)?.status, 403);
    }
  });

  it("falls back to the URL's host when there is no Host header", () => {
    assert.equal(
      checkHostAndOrigin(request({}, "http://evil.example.com/mcp"), defaults)?.status,
      403,
    );
    assert.equal(checkHostAndOrigin(request({}, "http://localhost:3000/mcp"), defaults), undefined);
  });

  it("honours name and name:port entries of allowedHosts", () => {
    const policy = compileOriginPolicy(["MCP.example.com", "api.example.com:8443"]);
    assert.equal(checkHostAndOrigin(request({ host: "mcp.example.com:1234" }), policy), undefined);
    assert.equal(checkHostAndOrigin(request({ host: "api.example.com:8443" }), policy), undefined);
    assert.equal(checkHostAndOrigin(request({ host: "api.example.com" }), policy)?.status, 403);
  });

  it("allows a missing Origin, the server's own origin and listed origins; refuses the rest", () => {
    const policy = compileOriginPolicy(DEFAULTS.security.allowedHosts, ["https://app.example.com"]);
    const host = "localhost:8787";
    assert.equal(checkHostAndOrigin(request({ host }), policy), undefined);
    assert.equal(
      checkHostAndOrigin(request({ host, origin: "http://localhost:8787" }), policy),
      undefined,
    );
    assert.equal(
      checkHostAndOrigin(request({ host, origin: "https://app.example.com" }), policy),
      undefined,
    );
    assert.equal(
      checkHostAndOrigin(request({ host, origin: "https://APP.example.com" }), policy),
      undefined,
    );
    assert.equal(
      checkHostAndOrigin(request({ host, origin: "https://evil.example.com" }), policy)?.status,
      403,
    );
    assert.equal(checkHostAndOrigin(request({ host, origin: "not a url" }), policy)?.status, 403);
  });

  it("an Origin matching a foreign Host is still refused (the Host check comes first)", () => {
    const response = checkHostAndOrigin(
      request({ host: "evil.example.com", origin: "http://evil.example.com" }),
      defaults,
    );
    assert.equal(response?.status, 403);
  });

  it('with allowedHosts ["*"], an Origin naming the request\'s own host is still allowed, and a foreign one refused', () => {
    const policy = compileOriginPolicy(["*"]);
    const host = "mcp.example.com:8443";
    assert.equal(
      checkHostAndOrigin(request({ host, origin: "https://mcp.example.com:8443" }), policy),
      undefined,
    );
    assert.equal(
      checkHostAndOrigin(
        request({ host: "mcp.example.com", origin: "https://MCP.example.com" }),
        policy,
      ),
      undefined,
    );
    assert.equal(
      checkHostAndOrigin(request({ host, origin: "https://evil.example.com" }), policy)?.status,
      403,
    );
  });

  it('"*" disables either check', () => {
    const policy = compileOriginPolicy(["*"], ["*"]);
    assert.equal(
      checkHostAndOrigin(request({ host: "x.example", origin: "https://y.example" }), policy),
      undefined,
    );
  });
});

describe("checkPostAccept", () => {
  const accept = (value: string | undefined, strict = true) =>
    checkPostAccept(request(value === undefined ? {} : { accept: value }), strict)?.status;

  it("strict: requires both application/json and text/event-stream", () => {
    assert.equal(accept("application/json, text/event-stream"), undefined);
    assert.equal(accept("text/event-stream;q=0.9, application/json"), undefined);
    assert.equal(accept("application/json"), 406);
    assert.equal(accept("text/event-stream"), 406);
    assert.equal(accept(undefined), 406);
    assert.equal(accept("text/html"), 406);
  });

  it("wildcards count for both", () => {
    assert.equal(accept("*/*"), undefined);
    assert.equal(accept("application/*, text/*"), undefined);
    assert.equal(accept("application/*"), 406);
  });

  it("relaxed: missing or one of the two is enough; neither is still refused", () => {
    assert.equal(accept(undefined, false), undefined);
    assert.equal(accept("application/json", false), undefined);
    assert.equal(accept("text/event-stream", false), undefined);
    assert.equal(accept("text/html", false), 406);
  });
});

describe("checkGetAccept", () => {
  it("requires text/event-stream", () => {
    assert.equal(checkGetAccept(request({ accept: "text/event-stream" })), undefined);
    assert.equal(checkGetAccept(request({ accept: "*/*" })), undefined);
    assert.equal(checkGetAccept(request({ accept: "application/json" }))?.status, 406);
    assert.equal(checkGetAccept(request({}))?.status, 406);
  });
});

describe("checkContentType", () => {
  it("accepts application/json with parameters, in any case", () => {
    assert.equal(checkContentType(request({ "content-type": "application/json" })), undefined);
    assert.equal(
      checkContentType(request({ "content-type": "Application/JSON ; charset=UTF-8" })),
      undefined,
    );
  });

  it("refuses other or missing types with 415", () => {
    assert.equal(checkContentType(request({ "content-type": "text/plain" }))?.status, 415);
    assert.equal(
      checkContentType(request({ "content-type": "application/json-seq" }))?.status,
      415,
    );
    assert.equal(checkContentType(request({}))?.status, 415);
  });
});
