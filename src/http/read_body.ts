/**
 * Reads a request body as UTF-8 text with a hard byte cap. A body without a
 * Content-Length (chunked) is read as a stream and reading stops at the first
 * chunk past the cap, so an oversized or endless body never occupies more
 * than `limit` bytes plus one chunk. A body with a Content-Length within the
 * cap is read in one `arrayBuffer()` call: HTTP framing bounds it to the
 * declared length, and runtimes serve that call without building a web
 * stream (on Node, @hono/node-server reads the socket directly — several
 * times cheaper than `request.body`). Its size is checked again after.
 * @module
 */

/** Why a body could not be read. */
export type BodyFailure = "too-large" | "invalid-utf8" | "aborted";

/** The outcome of {@linkcode readBodyText}. */
export type BodyResult = { ok: true; text: string } | { ok: false; failure: BodyFailure };

const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Reads `request`'s body up to `limit` bytes.
 *
 * @example
 * ```ts
 * import { readBodyText } from "./read_body.ts";
 * const result = await readBodyText(new Request("http://x/", { method: "POST", body: "{}" }), 1024);
 * if (result.ok) console.log(result.text); // "{}"
 * ```
 */
export async function readBodyText(request: Request, limit: number): Promise<BodyResult> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) {
    await request.body?.cancel().catch(() => {});
    return { ok: false, failure: "too-large" };
  }
  if (declared !== null) {
    let buffer: ArrayBuffer;
    try {
      buffer = await request.arrayBuffer();
    } catch {
      return { ok: false, failure: "aborted" };
    }
    if (buffer.byteLength > limit) return { ok: false, failure: "too-large" };
    return decode(new Uint8Array(buffer));
  }
  const body = request.body;
  if (body === null) return { ok: true, text: "" };
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel().catch(() => {});
        return { ok: false, failure: "too-large" };
      }
      chunks.push(value);
    }
  } catch {
    return { ok: false, failure: "aborted" };
  }
  let bytes: Uint8Array;
  if (chunks.length === 1) {
    bytes = chunks[0];
  } else {
    bytes = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
  }
  return decode(bytes);
}

function decode(bytes: Uint8Array): BodyResult {
  try {
    return { ok: true, text: decoder.decode(bytes) };
  } catch {
    return { ok: false, failure: "invalid-utf8" };
  }
}
