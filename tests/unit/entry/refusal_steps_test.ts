/**
 * The refusal steps are derived from the rooms that refuse: `RefusalStep`
 * is the names of `REFUSAL_STEPS`, and the door's row is exactly what the
 * door's table reports. The `@ts-expect-error` lines are checked by
 * `deno check` (and by `deno test`): each fails to type-check if the
 * derivation is undone.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { REFUSAL_STEPS, type RefusalStep } from "../../../src/http/refusal.ts";
import { type DoorRefusalStep, type Step, STEPS } from "../../../src/entry/steps.ts";

describe("the refusal steps", () => {
  it("are the names of the rooms' rows, and only those", () => {
    const named: RefusalStep[] = ["path", "session", "modern", "storage", "other"];
    // @ts-expect-error: no room reports "teapot"
    const unknown: RefusalStep = "teapot";
    assert.equal(named.length + [unknown].length, 6);
  });

  it("of the door are what its table reports, both ways", () => {
    const reported = new Set<string>(STEPS.flatMap((step: Step) => step.reports));
    assert.deepEqual([...reported].sort(), [...REFUSAL_STEPS.door].sort());
    const door: DoorRefusalStep = "scope";
    // @ts-expect-error: "session" is the sessionful era's, past the door
    const era: DoorRefusalStep = "session";
    assert.notEqual(door, era);
  });

  it("a step of the door may report only a name of the door's row", () => {
    const step: Step = {
      name: "extra",
      methods: "any",
      eras: "any",
      // @ts-expect-error: a door step reporting a name the door's row lacks
      reports: ["teapot"],
      check: () => undefined,
    };
    assert.equal(step.name, "extra");
  });

  it("each name belongs to one room", () => {
    const all = Object.values(REFUSAL_STEPS).flat();
    assert.equal(new Set(all).size, all.length);
  });
});
