/**
 * The door counts anonymous callers as the upstream sessions do: an
 * anonymous `initialize` or 2026-07-28 request is refused only when every
 * anonymous caller together holds `maxAnonymousSessions` (429 naming that
 * share), never because of the authenticated principals' share, and an
 * anonymous 2026-07-28 request never passes as holding its sessions.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { admit, type CapState, GatewayRefusal } from "../../../src/gateway/admission.ts";
import {
  ANONYMOUS_PRINCIPAL,
  type Principal,
} from "../../../src/protocol/context/request_context.ts";

/** A door whose caps answer `full` for every principal, holding stateless sessions for `holds`. */
function state(full: ReturnType<CapState["full"]>, holds = true): CapState {
  return {
    full: () => full,
    holdsStateless: (principal: Principal) => holds && principal !== ANONYMOUS_PRINCIPAL,
    maxSessions: 10,
    maxSessionsPerPrincipal: 2,
    maxAnonymousSessions: 5,
  };
}

const post = (version?: string) =>
  new Request("http://127.0.0.1/mcp", {
    method: "POST",
    headers: version === undefined ? {} : { "mcp-protocol-version": version },
  });

function refusal(run: () => void): { status: number; message: string } | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    assert.ok(error instanceof GatewayRefusal);
    return { status: error.response.status, message: error.message };
  }
}

describe("admit", () => {
  it("refuses anonymous callers at their own share, with its limit named", () => {
    const refused = refusal(() => admit(state("anonymous"), post(), ANONYMOUS_PRINCIPAL));
    assert.equal(refused?.status, 429);
    assert.match(refused?.message ?? "", /callers without credentials \(limit 5\)/);
    assert.equal(refusal(() => admit(state(undefined), post(), ANONYMOUS_PRINCIPAL)), undefined);
  });

  it("an anonymous 2026-07-28 request never passes as holding its upstream sessions", () => {
    const modern = post("2026-07-28");
    const refused = refusal(() => admit(state("anonymous", true), modern, ANONYMOUS_PRINCIPAL));
    assert.equal(refused?.status, 429);
    const alice = { id: "alice" };
    assert.equal(refusal(() => admit(state("principal", true), modern, alice)), undefined);
    assert.equal(refusal(() => admit(state("principal"), post(), alice))?.status, 429);
    assert.equal(refusal(() => admit(state("all"), post(), ANONYMOUS_PRINCIPAL))?.status, 503);
  });
});
