/** What the audit tests share: waiting for the record of an entry. */

import type { AuditRecord } from "../../../mod.ts";
import { waitFor } from "../interop/helpers.ts";

/** The first record of `entry` in `records`, once it arrived (bounded wait). */
export async function recordOf(records: AuditRecord[], entry: string): Promise<AuditRecord> {
  await waitFor(() => records.some((record) => record.entry === entry), `a record of ${entry}`);
  return records.find((record) => record.entry === entry)!;
}
