/**
 * The Redis Cluster hash slot of a key (CRC16/XMODEM of the key, or of its
 * `{hash tag}`, modulo 16384), as every Cluster node computes it: used to
 * name the master a failed command went to. Pure.
 * @module
 */

const encoder = new TextEncoder();

/** CRC16/XMODEM (polynomial 0x1021, no reflection, initial value 0) of `bytes`. */
function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = (crc & 0x8000) === 0 ? (crc << 1) & 0xffff : ((crc << 1) ^ 0x1021) & 0xffff;
    }
  }
  return crc;
}

/**
 * The slot of `key`: only the part between the first `{` and the next `}`
 * counts when that part is not empty.
 *
 * @example
 * ```ts
 * import { slotOf } from "./cluster_slot.ts";
 * slotOf("foo"); // 12182
 * slotOf("tether:s:{abc}") === slotOf("abc"); // true
 * ```
 */
export function slotOf(key: string): number {
  const open = key.indexOf("{");
  if (open !== -1) {
    const close = key.indexOf("}", open + 1);
    if (close > open + 1) key = key.slice(open + 1, close);
  }
  return crc16(encoder.encode(key)) % 16384;
}
