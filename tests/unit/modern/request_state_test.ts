/**
 * Sealing of the 2026-07-28 MRTR `requestState`: confidential, bound to the
 * principal, method, target and arguments, expiring, size-capped, with key
 * rotation. Time is injected (`now`), nothing sleeps.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  type OpenResult,
  type RequestStateBinding,
  RequestStateCodec,
} from "../../../src/modern/rounds/request_state.ts";

const KEY_1 = "first secret, at least thirty-two bytes long";
const KEY_2 = "second secret, at least thirty-two bytes long";

function binding(overrides: Partial<RequestStateBinding> = {}): RequestStateBinding {
  return {
    ownerKey: "user:alice",
    method: "tools/call",
    target: "book_flight",
    params: { name: "book_flight", arguments: { from: "CDG", to: "SFO", seats: 2 } },
    ...overrides,
  };
}

function refused(result: OpenResult): string {
  assert.equal(result.ok, false, "expected the state to be refused");
  return (result as { ok: false; reason: string }).reason;
}

/** `token` with the character at `index` replaced by another base64url character. */
function flip(token: string, index: number): string {
  const replacement = token[index] === "A" ? "B" : "A";
  return token.slice(0, index) + replacement + token.slice(index + 1);
}

function toBase64Url(text: string): string {
  const base64 = btoa(String.fromCharCode(...new TextEncoder().encode(text)));
  return base64.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

describe("RequestStateCodec: round trip", () => {
  it("opens what it sealed, with the same binding", async () => {
    const codec = await RequestStateCodec.create({ keys: [KEY_1] });
    const payload = {
      step: 2,
      answers: { user_name: { action: "accept", content: { name: "Alice" } } },
    };
    const token = await codec.seal(payload, binding());
    assert.deepEqual(await codec.open(token, binding()), { ok: true, payload });
  });

  it("carries any JSON value as payload", async () => {
    const codec = await RequestStateCodec.create({ keys: [KEY_1] });
    for (
      const payload of [null, 0, "text", [1, "two", { three: 3 }], {
        nested: { deep: [true, false] },
      }]
    ) {
      assert.deepEqual(await codec.open(await codec.seal(payload, binding()), binding()), {
        ok: true,
        payload,
      });
    }
  });

  it("tokens have the documented shape: v1.<key id>.<iv>.<ciphertext>", async () => {
    const codec = await RequestStateCodec.create({ keys: [KEY_1] });
    const token = await codec.seal({ step: 1 }, binding());
    assert.match(token, /^v1\.[A-Za-z0-9_-]{11}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
  });

  it("two instances configured with the same key open each other's states", async () => {
    const first = await RequestStateCodec.create({ keys: [KEY_1] });
    const second = await RequestStateCodec.create({ keys: [KEY_1] });
    const token = await first.seal({ step: 1 }, binding());
    assert.deepEqual(await second.open(token, binding()), { ok: true, payload: { step: 1 } });
  });

  it("the same payload sealed twice gives two different tokens (random IV)", async () => {
    const codec = await RequestStateCodec.create({ keys: [KEY_1] });
    assert.notEqual(
      await codec.seal({ step: 1 }, binding()),
      await codec.seal({ step: 1 }, binding()),
    );
  });
});

describe("RequestStateCodec: confidentiality and integrity", () => {
  it("a token does not reveal its payload", async () => {
    const codec = await RequestStateCodec.create({ keys: [KEY_1] });
    const card = "4111-1111-1111-1111";
    const token = await codec.seal({ secret: "hunter2", card }, binding());
    assert.equal(token.includes("hunter2"), false);
    assert.equal(token.includes(card), false);
    // Not base64-encoded either, whatever the alignment: the plaintext would start with this.
    assert.equal(token.includes(toBase64Url('{"p":{"secret":"hunter2"').slice(0, 32)), false);
    for (const prefix of ["", "x", "xx"]) {
      const encoded = toBase64Url(prefix + card).slice(4, -4);
      assert.ok(encoded.length >= 16);
      assert.equal(token.includes(encoded), false);
    }
  });

  it("changing any one character of the token makes it refused", async () => {
    const codec = await RequestStateCodec.create({ keys: [KEY_1] });
    const token = await codec.seal({ step: 1 }, binding());
    for (let index = 0; index < token.length; index++) {
      if (token[index] === ".") continue;
      const result = await codec.open(flip(token, index), binding());
      assert.equal(result.ok, false, `flipping character ${index} was accepted`);
    }
  });

  it("a changed ciphertext or IV fails the seal; a changed key id is unknown", async () => {
    const codec = await RequestStateCodec.create({ keys: [KEY_1] });
    const token = await codec.seal({ step: 1 }, binding());
    const [version, keyId, iv, sealed] = token.split(".");
    // Flip the first character: the last one of a part may only change unused bits (then "malformed").
    assert.equal(
      refused(await codec.open([version, keyId, iv, flip(sealed, 0)].join("."), binding())),
      "bad-seal",
    );
    assert.equal(
      refused(await codec.open([version, keyId, flip(iv, 0), sealed].join("."), binding())),
      "bad-seal",
    );
    assert.equal(
      refused(await codec.open([version, flip(keyId, 0), iv, sealed].join("."), binding())),
      "unknown-key",
    );
    assert.equal(
      refused(await codec.open(["v2", keyId, iv, sealed].join("."), binding())),
      "malformed",
    );
  });

  it("a state with text appended is refused", async () => {
    const codec = await RequestStateCodec.create({ keys: [KEY_1] });
    const token = await codec.seal({ step: 1 }, binding());
    for (const tampered of [`${token}-TAMPERED`, `${token}A`, `${token}.`, `${token}.AAAA`]) {
      assert.equal((await codec.open(tampered, binding())).ok, false, tampered.slice(token.length));
    }
  });

  it("every truncation of a token is refused", async () => {
    const codec = await RequestStateCodec.create({ keys: [KEY_1] });
    const token = await codec.seal({ step: 1 }, binding());
    for (let length = 0; length < token.length; length++) {
      assert.equal(
        (await codec.open(token.slice(0, length), binding())).ok,
        false,
        `prefix of ${length} accepted`,
      );
    }
  });

  it("a state sealed under one key does not open under another (generated keys included)", async () => {
    const first = await RequestStateCodec.create();
    const second = await RequestStateCodec.create();
    const token = await first.seal({ step: 1 }, binding());
    assert.equal(refused(await second.open(token, binding())), "unknown-key");
    const configured = await RequestStateCodec.create({ keys: [KEY_1] });
    assert.equal(refused(await configured.open(token, binding())), "unknown-key");
  });
});

describe("RequestStateCodec: binding", () => {
  it("another principal cannot use the state", async () => {
    const codec = await RequestStateCodec.create({ keys: [KEY_1] });
    const token = await codec.seal({ step: 1 }, binding());
    assert.equal(
      refused(await codec.open(token, binding({ ownerKey: "user:mallory" }))),
      "bad-seal",
    );
    assert.equal(refused(await codec.open(token, binding({ ownerKey: "" }))), "bad-seal");
  });

  it("another method or target (another tool, prompt or resource) cannot use the state", async () => {
    const codec = await RequestStateCodec.create({ keys: [KEY_1] });
    const token = await codec.seal({ step: 1 }, binding());
    const params = binding().params;
    assert.equal(refused(await codec.open(token, binding({ method: "prompts/get" }))), "bad-seal");
    assert.equal(
      refused(await codec.open(token, binding({ target: "cancel_flight" }))),
      "bad-seal",
    );
    assert.equal(
      refused(
        await codec.open(
          token,
          binding({ target: "cancel_flight", params: { ...params, name: "cancel_flight" } }),
        ),
      ),
      "bad-seal",
    );
  });

  it("other arguments cannot use the state", async () => {
    const codec = await RequestStateCodec.create({ keys: [KEY_1] });
    const token = await codec.seal({ step: 1 }, binding());
    const others = [
      { from: "CDG", to: "SFO", seats: 3 },
      { from: "CDG", to: "SFO", seats: "2" },
      { from: "CDG", to: "SFO" },
      { from: "CDG", to: "SFO", seats: 2, extra: true },
      {},
    ];
    for (const args of others) {
      const result = await codec.open(
        token,
        binding({ params: { name: "book_flight", arguments: args } }),
      );
      assert.equal(result.ok, false, JSON.stringify(args));
    }
    assert.equal((await codec.open(token, binding({ params: { name: "book_flight" } }))).ok, false);
  });

  it("other top-level params (besides _meta, inputResponses, requestState) cannot use the state", async () => {
    const codec = await RequestStateCodec.create({ keys: [KEY_1] });
    const token = await codec.seal({ step: 1 }, binding());
    const params = { ...binding().params, cursor: "abc" };
    assert.equal((await codec.open(token, binding({ params }))).ok, false);
  });

  it("_meta, inputResponses and requestState are left out of the arguments digest", async () => {
    const codec = await RequestStateCodec.create({ keys: [KEY_1] });
    const first = binding({ params: { ...binding().params, _meta: { progressToken: 1 } } });
    const token = await codec.seal({ step: 1 }, first);
    const retry = binding({
      params: {
        ...binding().params,
        _meta: { progressToken: 2, "io.modelcontextprotocol/protocolVersion": "2026-07-28" },
        inputResponses: { user_name: { action: "accept", content: { name: "Alice" } } },
        requestState: token,
      },
    });
    assert.deepEqual(await codec.open(token, retry), { ok: true, payload: { step: 1 } });
  });

  it("an excluded key name nested inside the arguments still counts", async () => {
    const codec = await RequestStateCodec.create({ keys: [KEY_1] });
    const params = {
      name: "book_flight",
      arguments: { _meta: "a", inputResponses: 1, requestState: "x" },
    };
    const token = await codec.seal({ step: 1 }, binding({ params }));
    const changed = {
      name: "book_flight",
      arguments: { _meta: "b", inputResponses: 1, requestState: "x" },
    };
    assert.equal((await codec.open(token, binding({ params: changed }))).ok, false);
  });

  it("object key order does not matter, at any depth; array order does", async () => {
    const codec = await RequestStateCodec.create({ keys: [KEY_1] });
    const params = { name: "plan", arguments: { a: 1, b: { x: [1, 2], y: { p: true, q: null } } } };
    const token = await codec.seal({ step: 1 }, binding({ target: "plan", params }));
    const reordered = {
      arguments: { b: { y: { q: null, p: true }, x: [1, 2] }, a: 1 },
      name: "plan",
    };
    assert.deepEqual(await codec.open(token, binding({ target: "plan", params: reordered })), {
      ok: true,
      payload: { step: 1 },
    });
    const swapped = {
      name: "plan",
      arguments: { a: 1, b: { x: [2, 1], y: { p: true, q: null } } },
    };
    assert.equal((await codec.open(token, binding({ target: "plan", params: swapped }))).ok, false);
  });

  it("strings that look alike in JSON stay distinct", async () => {
    const codec = await RequestStateCodec.create({ keys: [KEY_1] });
    const token = await codec.seal({ step: 1 }, binding({ ownerKey: "a", method: "b,c" }));
    assert.equal((await codec.open(token, binding({ ownerKey: "a,b", method: "c" }))).ok, false);
  });

  // A JSON body may carry a "__proto__" key; assigning it to a plain object sets the prototype on
  // Node and Bun (not on Deno), which drops it from the digest. Skipped until the digest copies
  // with Object.fromEntries (see the integration report).
  it("a top-level __proto__ param is part of the digest on every runtime", {}, async () => {
    const codec = await RequestStateCodec.create({ keys: [KEY_1] });
    const params = JSON.parse('{"name":"book_flight","arguments":{}}');
    const token = await codec.seal({ step: 1 }, binding({ params }));
    const withProto = JSON.parse(
      '{"name":"book_flight","arguments":{},"__proto__":{"admin":true}}',
    );
    assert.equal((await codec.open(token, binding({ params: withProto }))).ok, false);
  });
});

describe("RequestStateCodec: expiry", () => {
  it("opens until the TTL has passed, then answers expired (injected clock)", async () => {
    let now = 1_700_000_000_000;
    const codec = await RequestStateCodec.create({ keys: [KEY_1], now: () => now });
    const token = await codec.seal({ step: 1 }, binding());
    now += 600_000 - 1;
    assert.deepEqual(await codec.open(token, binding()), { ok: true, payload: { step: 1 } });
    now += 1;
    assert.equal(refused(await codec.open(token, binding())), "expired");
    now += 86_400_000;
    assert.equal(refused(await codec.open(token, binding())), "expired");
  });

  it("honours a configured ttlMs", async () => {
    let now = 0;
    const codec = await RequestStateCodec.create({ keys: [KEY_1], ttlMs: 5_000, now: () => now });
    const token = await codec.seal({ step: 1 }, binding());
    now = 4_999;
    assert.equal((await codec.open(token, binding())).ok, true);
    now = 5_000;
    assert.equal(refused(await codec.open(token, binding())), "expired");
  });

  it("the expiry is sealed: another instance with a longer TTL still refuses an expired state", async () => {
    let now = 0;
    const short = await RequestStateCodec.create({ keys: [KEY_1], ttlMs: 1_000, now: () => now });
    const long = await RequestStateCodec.create({
      keys: [KEY_1],
      ttlMs: 3_600_000,
      now: () => now,
    });
    const token = await short.seal({ step: 1 }, binding());
    now = 1_000;
    assert.equal(refused(await long.open(token, binding())), "expired");
  });

  it("rejects a TTL that is not finite and positive", async () => {
    for (const ttlMs of [Infinity, -Infinity, NaN, 0, -1]) {
      await assert.rejects(
        RequestStateCodec.create({ keys: [KEY_1], ttlMs }),
        RangeError,
        String(ttlMs),
      );
    }
  });
});

describe("RequestStateCodec: size", () => {
  it("refuses a token longer than maxBytes before any crypto", async () => {
    const codec = await RequestStateCodec.create({ keys: [KEY_1], maxBytes: 200 });
    // Garbage of the right length is "too-large", not "malformed": the size is checked first.
    assert.equal(refused(await codec.open("x".repeat(201), binding())), "too-large");
    const defaults = await RequestStateCodec.create({ keys: [KEY_1] });
    assert.equal(
      refused(await defaults.open("v1.".padEnd(64 * 1024 + 1, "A"), binding())),
      "too-large",
    );
  });

  it("seal throws a RangeError when the token would exceed maxBytes; a smaller payload fits", async () => {
    const codec = await RequestStateCodec.create({ keys: [KEY_1], maxBytes: 300 });
    await assert.rejects(codec.seal({ blob: "x".repeat(300) }, binding()), RangeError);
    const token = await codec.seal({ blob: "x".repeat(50) }, binding());
    assert.ok(token.length <= 300);
    assert.equal((await codec.open(token, binding())).ok, true);
  });

  it("the default cap lets a few kilobytes of state through", async () => {
    const codec = await RequestStateCodec.create({ keys: [KEY_1] });
    const payload = { history: "y".repeat(16 * 1024) };
    assert.deepEqual(await codec.open(await codec.seal(payload, binding()), binding()), {
      ok: true,
      payload,
    });
  });

  it("rejects a maxBytes that is not a positive integer", async () => {
    for (const maxBytes of [0, -1, 1.5, NaN, Infinity]) {
      await assert.rejects(
        RequestStateCodec.create({ keys: [KEY_1], maxBytes }),
        RangeError,
        String(maxBytes),
      );
    }
  });
});

describe("RequestStateCodec: malformed input", () => {
  it("a token that is not a string is malformed", async () => {
    const codec = await RequestStateCodec.create({ keys: [KEY_1] });
    for (const token of [42, null, undefined, true, {}, [], { toString: () => "v1.a.b.c" }]) {
      assert.equal(refused(await codec.open(token, binding())), "malformed", String(token));
    }
  });

  it("a string that is not of the token format is malformed", async () => {
    const codec = await RequestStateCodec.create({ keys: [KEY_1] });
    const token = await codec.seal({ step: 1 }, binding());
    const [, keyId, iv, sealed] = token.split(".");
    const cases = [
      "",
      "v1",
      "v1...",
      `v1.${keyId}.${iv}`,
      `v1.${keyId}.${iv}.${sealed}.extra`,
      `V1.${keyId}.${iv}.${sealed}`,
      `v1.${keyId}.${iv}=.${sealed}`, // padding is not base64url without padding
      `v1.${keyId}.${iv.slice(0, -1)}+.${sealed}`, // the standard alphabet is refused
      `v1.${keyId}.${iv.slice(0, -1)}/.${sealed}`,
      `v1.${keyId}.${iv} .${sealed}`,
      `v1.${keyId}.${iv}.${sealed.slice(0, 10)}`, // shorter than a GCM tag
      `v1.${keyId}.${iv.slice(0, 12)}.${sealed}`, // IV not 12 bytes
    ];
    for (const candidate of cases) {
      assert.equal(refused(await codec.open(candidate, binding())), "malformed", candidate);
    }
  });
});

describe("RequestStateCodec: keys", () => {
  it("generates a per-process key when none is given", async () => {
    const generated = await RequestStateCodec.create();
    assert.equal(generated.generatedKey, true);
    const token = await generated.seal({ step: 1 }, binding());
    assert.deepEqual(await generated.open(token, binding()), { ok: true, payload: { step: 1 } });
    assert.equal((await RequestStateCodec.create({ keys: [KEY_1] })).generatedKey, false);
  });

  it("an old key opens states during rotation and is refused once removed", async () => {
    const before = await RequestStateCodec.create({ keys: [KEY_1] });
    const during = await RequestStateCodec.create({ keys: [KEY_2, KEY_1] });
    const after = await RequestStateCodec.create({ keys: [KEY_2] });
    const old = await before.seal({ step: 1 }, binding());
    assert.deepEqual(await during.open(old, binding()), { ok: true, payload: { step: 1 } });
    assert.equal(refused(await after.open(old, binding())), "unknown-key");
    // The first key seals: what the rotating instance seals, the new-key-only instance opens.
    const fresh = await during.seal({ step: 2 }, binding());
    assert.deepEqual(await after.open(fresh, binding()), { ok: true, payload: { step: 2 } });
    assert.equal(refused(await before.open(fresh, binding())), "unknown-key");
  });

  it("accepts byte keys, and copies them at construction", async () => {
    const bytes = crypto.getRandomValues(new Uint8Array(32));
    const original = bytes.slice();
    const codec = await RequestStateCodec.create({ keys: [bytes] });
    bytes.fill(0);
    const token = await codec.seal({ step: 1 }, binding());
    const sameKey = await RequestStateCodec.create({ keys: [original] });
    assert.deepEqual(await sameKey.open(token, binding()), { ok: true, payload: { step: 1 } });
  });

  it("a string key and its UTF-8 bytes are the same key", async () => {
    const fromString = await RequestStateCodec.create({ keys: [KEY_1] });
    const fromBytes = await RequestStateCodec.create({ keys: [new TextEncoder().encode(KEY_1)] });
    const token = await fromString.seal({ step: 1 }, binding());
    assert.equal((await fromBytes.open(token, binding())).ok, true);
  });

  it("rejects a key shorter than 32 bytes without echoing it", async () => {
    const short = "short-secret-31-bytes-long-abcd";
    assert.equal(short.length, 31);
    const rejection = (error: unknown) => {
      assert.ok(error instanceof RangeError);
      assert.match(error.message, /32 bytes/);
      assert.equal(error.message.includes(short), false);
      return true;
    };
    await assert.rejects(RequestStateCodec.create({ keys: [short] }), rejection);
    await assert.rejects(RequestStateCodec.create({ keys: [new Uint8Array(31)] }), rejection);
    await assert.rejects(RequestStateCodec.create({ keys: [KEY_1, short] }), rejection);
    await assert.rejects(RequestStateCodec.create({ keys: [""] }), rejection);
  });

  it("counts string keys in UTF-8 bytes, not characters", async () => {
    await assert.rejects(RequestStateCodec.create({ keys: ["é".repeat(15)] }), RangeError); // 30 bytes
    const codec = await RequestStateCodec.create({ keys: ["é".repeat(16)] }); // 16 characters, 32 bytes
    assert.equal(codec.generatedKey, false);
  });
});
