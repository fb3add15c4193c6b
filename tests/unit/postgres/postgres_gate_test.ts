/**
 * The Postgres gate's sorting of failures (no sockets): what means "Postgres cannot answer now"
 * becomes a 503 (storage unavailable), what Postgres answered for a statement it ran, or a
 * caller's own error, stays as it is; and the URL reports name has no password.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { redactedUrl, unavailable } from "../../../src/postgres/connection/postgres_gate.ts";

/** An error shaped as postgres.js reports the server's answers. */
function serverError(code: string): Error {
  return Object.assign(new Error(`server said ${code}`), { name: "PostgresError", code });
}

describe("Postgres failures, sorted", () => {
  it("connection, shutdown, overload, standby, conflict and cancel states are unavailable", () => {
    for (const code of ["08006", "53300", "57P01", "57P02", "57P03", "57014", "25006", "40001"]) {
      assert.equal(unavailable(serverError(code)), true, code);
    }
  });

  it("the driver's and the socket's failures are unavailable", () => {
    for (const code of ["CONNECTION_CLOSED", "CONNECT_TIMEOUT", "ECONNREFUSED", "ECONNRESET"]) {
      assert.equal(unavailable(Object.assign(new Error(code), { code })), true, code);
    }
  });

  it("a statement's own error and a caller's error are not", () => {
    assert.equal(unavailable(serverError("23505")), false, "a unique violation");
    assert.equal(unavailable(serverError("42P01")), false, "an undefined table");
    assert.equal(unavailable(new RangeError("state too large")), false);
    assert.equal(unavailable("a string"), false);
  });
});

describe("redactedUrl", () => {
  it("drops the password and the query, keeps the rest", () => {
    const url = redactedUrl(
      "postgres://app:s3cret@db.internal:5432/app?sslmode=require&password=x",
    );
    assert.equal(url, "postgres://app@db.internal:5432/app");
    assert.equal(redactedUrl("not a url"), "postgres (unparsable URL)");
  });

  it("keeps every host of a multi-host URL, never a piece of the password", () => {
    assert.equal(
      redactedUrl(
        "postgres://app:s3cret@10.0.0.1:5432,10.0.0.2:5433/app?target_session_attrs=primary",
      ),
      "postgres://app@10.0.0.1:5432,10.0.0.2:5433/app",
    );
    assert.equal(redactedUrl("postgresql://[::1]:5432/app"), "postgresql://[::1]:5432/app");
    assert.equal(redactedUrl("postgres://app:p@ss@db:1/app"), "postgres://app@db:1/app");
    // A password with an unencoded `?` is not a URL postgres.js reads: nothing of it is shown.
    assert.equal(redactedUrl("postgres://app:pa?ss@db/app"), "postgres (unparsable URL)");
  });
});
