import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { PrincipalShares } from "../../../src/limits/principal_shares.ts";

describe("PrincipalShares", () => {
  it("holds each principal to its share, and a place given back can be taken again", () => {
    const shares = new PrincipalShares(2);
    assert.equal(shares.take("alice"), true);
    assert.equal(shares.take("alice"), true);
    assert.equal(shares.take("alice"), false, "a third place is over the share");
    assert.equal(shares.take("bob"), true, "another principal has its own share");
    assert.equal(shares.held("alice"), 2);
    shares.give("alice");
    assert.equal(shares.held("alice"), 1);
    assert.equal(shares.take("alice"), true);
    assert.equal(shares.take("alice"), false);
  });

  it("never counts below zero when a place is given back twice", () => {
    const shares = new PrincipalShares(1);
    shares.take("alice");
    shares.give("alice");
    shares.give("alice");
    shares.give("carol"); // never took one
    assert.equal(shares.held("alice"), 0);
    assert.equal(shares.held("carol"), 0);
    assert.equal(shares.take("alice"), true);
    assert.equal(shares.take("alice"), false, "the extra give did not raise the share");
  });

  it("stays bounded when many principals come and go, and forgets none that hold a place", () => {
    const shares = new PrincipalShares(4);
    shares.take("holder");
    for (let i = 0; i < 10_000; i++) {
      shares.take(`caller-${i}`);
      shares.give(`caller-${i}`);
    }
    assert.ok(shares.known <= 1024, `${shares.known} principals remembered`);
    assert.equal(shares.held("holder"), 1, "a principal holding a place is never swept");
  });

  it("stays bounded by the principals holding places when there are many of them", () => {
    const shares = new PrincipalShares(1);
    for (let i = 0; i < 3000; i++) shares.take(`holder-${i}`);
    for (let i = 0; i < 3000; i++) shares.give(`holder-${i}`);
    for (let i = 0; i < 10_000; i++) {
      shares.take(`caller-${i}`);
      shares.give(`caller-${i}`);
    }
    assert.ok(shares.known <= 4096, `${shares.known} principals remembered`);
    for (let i = 0; i < 3000; i++) assert.equal(shares.held(`holder-${i}`), 0);
  });
});
