/**
 * The backend's default for named statements: on when the pool connects the way the listener
 * does (a direct connection), off when a listenUrl of its own or no listening says a pooler
 * sits in front.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import { connectsDirectly } from "../../../src/postgres/postgres_backend.ts";

it("named statements by default only where no pooler is in front", () => {
  const db = "postgres://app@db:5432/app";
  const bouncer = "postgres://app@pgbouncer:6432/app";
  assert.equal(connectsDirectly({ url: db }, true), true);
  assert.equal(connectsDirectly({ url: db, listenUrl: db }, true), true);
  assert.equal(connectsDirectly({ url: bouncer, listenUrl: db }, true), false);
  assert.equal(connectsDirectly({ url: bouncer }, false), false, "polling-only: pooled endpoints");
});
