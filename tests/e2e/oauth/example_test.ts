/**
 * examples/oauth/server.ts and the fixture's OAUTH_ISSUER mode, each started
 * as a program (Node 24) on a free port against a real authorization server
 * (oidc-provider): the metadata names the port it listens on, a request
 * without a token is challenged, the token's subject is `whoami`, and
 * `admin_report` needs `mcp:admin`. Without OAUTH_ISSUER the fixture keeps
 * its demo authentication and has no `admin_report`.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createEverythingHandler } from "../../../examples/everything.ts";
import { readAnswer } from "../../helpers.ts";
import { MODERN, modernRpc } from "../../support/modern_helpers.ts";
import {
  type AuthorizationServer,
  startAuthorizationServer,
} from "./authorization_server_process.ts";
import { type Program, startProgram } from "./program.ts";

let as: AuthorizationServer;
before(async () => {
  as = await startAuthorizationServer();
});
after(async () => {
  await as?.stop();
});

const ENDPOINT = /http:\/\/127\.0\.0\.1:\d+\/mcp\b/;

/** A 2026-07-28 tools/call of `name` at `url` with `token`. */
async function callTool(url: string, name: string, token?: string) {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      accept: "application/json, text/event-stream",
      "content-type": "application/json",
      "mcp-protocol-version": MODERN,
      "mcp-method": "tools/call",
      "mcp-name": name,
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: {
        name,
        arguments: {},
        _meta: {
          "io.modelcontextprotocol/protocolVersion": MODERN,
          "io.modelcontextprotocol/clientCapabilities": {},
          "io.modelcontextprotocol/clientInfo": { name: "example-test", version: "0.0.0" },
        },
      },
    }),
  });
  return await readAnswer(response);
}

/** What every OAuth program here must do, at `url`. */
async function checkProtectedResource(url: string, admin: (subject: string) => string) {
  const { origin, pathname } = new URL(url);
  const metadata = await fetch(`${origin}/.well-known/oauth-protected-resource${pathname}`);
  assert.equal(metadata.status, 200);
  const document = await metadata.json();
  assert.equal(document.resource, url);
  assert.deepEqual(document.authorization_servers, [as.issuer]);

  const anonymous = await callTool(url, "whoami");
  assert.equal(anonymous.status, 401);
  assert.equal(
    anonymous.response.headers.get("www-authenticate"),
    `Bearer resource_metadata="${origin}/.well-known/oauth-protected-resource${pathname}"`,
  );

  const service = await as.clientCredentials("service", url);
  const whoami = await callTool(url, "whoami", service);
  assert.equal(whoami.message.result.content[0].text, "service");
  const report = await callTool(url, "admin_report", service);
  assert.equal(report.message.result.content[0].text, admin("service"));

  const reader = await as.clientCredentials("reader", url, "mcp:read");
  const refused = await callTool(url, "admin_report", reader);
  assert.equal(refused.status, 403);
  assert.match(
    refused.response.headers.get("www-authenticate") ?? "",
    /^Bearer error="insufficient_scope", scope="mcp:admin"/,
  );
}

describe("examples/oauth/server.ts", () => {
  let program: Program | undefined;
  after(async () => await program?.stop());

  it("is a protected resource trusting OAUTH_ISSUER, on the port it listens on", async () => {
    program = await startProgram("examples/oauth/server.ts", {
      OAUTH_ISSUER: as.issuer,
      PORT: "0",
    }, ENDPOINT);
    await checkProtectedResource(program.url, (subject) => `Admin report for ${subject}`);
  });
});

describe("examples/everything.ts with OAUTH_ISSUER", () => {
  let program: Program | undefined;
  after(async () => await program?.stop());

  it("is a protected resource; whoami is the token's sub; admin_report needs mcp:admin", async () => {
    program = await startProgram("examples/everything.ts", {
      OAUTH_ISSUER: as.issuer,
      PORT: "0",
    }, ENDPOINT);
    await checkProtectedResource(program.url, (subject) => `Admin report for ${subject}`);
  });

  it("without OAUTH_ISSUER keeps its demo authentication and has no admin_report", async () => {
    const handler = createEverythingHandler({});
    const carol = { headers: { authorization: "Bearer carol" } };
    const whoami = await modernRpc(handler, "tools/call", { name: "whoami" }, carol);
    assert.equal(whoami.message.result.content[0].text, "carol");
    const listed = await modernRpc(handler, "tools/list", {}, carol);
    const names = listed.message.result.tools.map((tool: { name: string }) => tool.name);
    assert.ok(names.includes("whoami") && !names.includes("admin_report"));
    const metadata = await handler(
      new Request("http://127.0.0.1:8787/.well-known/oauth-protected-resource/mcp"),
    );
    assert.equal(metadata.status, 404);
    await handler.close();
  });
});
