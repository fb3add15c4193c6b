/** Protocol version negotiation and logging thresholds. */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  isSupportedProtocolVersion,
  LATEST_LEGACY_PROTOCOL_VERSION,
  negotiateProtocolVersion,
  SUPPORTED_LEGACY_PROTOCOL_VERSIONS,
} from "../../../src/protocol/versions.ts";
import { isLoggingLevel, passesThreshold } from "../../../src/protocol/context/logging.ts";

describe("negotiateProtocolVersion", () => {
  it("echoes a supported version", () => {
    for (const version of SUPPORTED_LEGACY_PROTOCOL_VERSIONS) {
      assert.equal(negotiateProtocolVersion(version), version);
    }
  });

  it("answers anything else with the latest, 2025-11-25", () => {
    assert.equal(LATEST_LEGACY_PROTOCOL_VERSION, "2025-11-25");
    for (const requested of ["2024-11-05", "1999-01-01", "", 20250618, undefined]) {
      assert.equal(negotiateProtocolVersion(requested), "2025-11-25");
    }
  });

  it("isSupportedProtocolVersion accepts exactly the supported list", () => {
    assert.equal(isSupportedProtocolVersion("2025-03-26"), true);
    assert.equal(isSupportedProtocolVersion("2025-06-18"), true);
    assert.equal(isSupportedProtocolVersion("2025-11-25"), true);
    assert.equal(isSupportedProtocolVersion("2025-11-25 "), false);
    assert.equal(isSupportedProtocolVersion("1999-01-01"), false);
  });
});

describe("logging levels", () => {
  it("recognises the eight RFC 5424 levels", () => {
    for (
      const level of [
        "debug",
        "info",
        "notice",
        "warning",
        "error",
        "critical",
        "alert",
        "emergency",
      ]
    ) {
      assert.equal(isLoggingLevel(level), true, level);
    }
    assert.equal(isLoggingLevel("warn"), false);
    assert.equal(isLoggingLevel(3), false);
  });

  it("passesThreshold lets through the threshold and above; no threshold lets everything through", () => {
    assert.equal(passesThreshold("warning", "warning"), true);
    assert.equal(passesThreshold("error", "warning"), true);
    assert.equal(passesThreshold("info", "warning"), false);
    assert.equal(passesThreshold("debug", undefined), true);
  });
});
