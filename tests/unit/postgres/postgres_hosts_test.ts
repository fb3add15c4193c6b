/**
 * `hostChoice`: a multi-host URL's `target_session_attrs=read-write` (or `primary`) becomes
 * postgres.js's `primary`, which skips a hot standby; anything else is left alone.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { hostChoice } from "../../../src/postgres/connection/postgres_hosts.ts";

describe("hostChoice", () => {
  it("asks for the primary when the URL wants a server that takes writes", () => {
    const hosts = "postgres://app@10.0.0.1:5432,10.0.0.2:5432/app";
    assert.deepEqual(hostChoice(`${hosts}?target_session_attrs=read-write`), {
      target_session_attrs: "primary",
    });
    assert.deepEqual(hostChoice(`${hosts}?sslmode=disable&target_session_attrs=primary`), {
      target_session_attrs: "primary",
    });
  });

  it("leaves every other URL to postgres.js", () => {
    assert.deepEqual(hostChoice("postgres://app@db:5432/app"), {});
    assert.deepEqual(hostChoice("postgres://app@db:5432/app?sslmode=require"), {});
    assert.deepEqual(hostChoice("postgres://app@a,b/app?target_session_attrs=prefer-standby"), {});
  });
});
