/**
 * Which failures to open a 2025 upstream session are the upstream's refusal
 * of the revision (a server of 2026-07-28 only: the gateway then calls it in
 * 2026-07-28), and which are failures of the upstream (unavailable): the
 * statuses and errors tether's session client raises for each.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ConnectionClosed,
  HttpStatusError,
  RequestTimeout,
  RpcError,
} from "../../../src/client/rpc_errors.ts";
import { refusesSessions } from "../../../src/gateway/sessions/upstream_calls.ts";

describe("refusesSessions", () => {
  it("a 400, 404, 405, 406 or 415 to the initialize is a refusal of 2025 sessions", () => {
    for (const status of [400, 404, 405, 406, 415]) {
      assert.equal(refusesSessions(new HttpStatusError(status, "refused")), true, `${status}`);
    }
  });

  it("a JSON-RPC error answered to the initialize, or a version the client does not know, is one", () => {
    assert.equal(refusesSessions(new RpcError(-32022, "Unsupported protocol version")), true);
    assert.equal(refusesSessions(new RpcError(-32601, "initialize")), true);
    assert.equal(
      refusesSessions(new Error("Server's protocol version is not supported: 2026-07-28")),
      true,
    );
  });

  it("credentials refused, a server error, a closed or silent transport are failures, not refusals", () => {
    for (const status of [401, 403, 429, 500, 503]) {
      assert.equal(refusesSessions(new HttpStatusError(status, "no")), false, `${status}`);
    }
    assert.equal(refusesSessions(new ConnectionClosed()), false);
    assert.equal(refusesSessions(new RequestTimeout(1)), false);
    assert.equal(refusesSessions(new TypeError("fetch failed")), false);
    assert.equal(refusesSessions(undefined), false);
  });
});
