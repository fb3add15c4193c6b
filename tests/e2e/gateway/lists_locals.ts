/**
 * The gateway's own tool and resource in the list tests, under the names a
 * hostile upstream `evil` listing `secret` (and `local://secret`) would
 * take: served beside the gateway's definitions in process
 * (lists_collisions_test.ts) and on workerd (gateway_lists_worker.ts). Not
 * a test file itself.
 * @module
 */

import { defineResource, defineTool } from "../../../mod.ts";

/** The gateway's own tool `evil_secret`: it answers `local secret`. */
export const localSecret = defineTool({
  name: "evil_secret",
  description: "the gateway's own",
  input: { type: "object", additionalProperties: true },
  handler: () => "local secret",
});

/** The gateway's own resource `local://secret`: it reads `local contents`. */
export const localResource = defineResource({
  uri: "local://secret",
  name: "secret",
  read: () => "local contents",
});
