/**
 * How much of a client's own input an error may repeat back (an unknown URI,
 * tool or prompt name, method, property name, protocol version): a bounded
 * prefix, so a client cannot make the server build, log and send megabytes of
 * error about its own megabytes of input. It bounds length only; escaping is
 * JSON's job.
 * @module
 */

/** The most UTF-16 code units of client input an error repeats. */
export const MAX_ECHO_CHARS = 256;

/**
 * `text` as an error may repeat it: whole when short, else its first
 * {@linkcode MAX_ECHO_CHARS} code units (never ending on half a surrogate pair).
 *
 * @example
 * ```ts
 * import { echoInput } from "./echo.ts";
 * echoInput("test://missing"); // "test://missing"
 * echoInput("x".repeat(1_000_000)).length; // 256
 * ```
 */
export function echoInput(text: string): string {
  if (text.length <= MAX_ECHO_CHARS) return text;
  const last = text.charCodeAt(MAX_ECHO_CHARS - 1);
  const end = last >= 0xd800 && last <= 0xdbff ? MAX_ECHO_CHARS - 1 : MAX_ECHO_CHARS;
  return text.slice(0, end);
}
