/**
 * tests/e2e/edge/three_schemas.ts's three servers as one Cloudflare Worker, each
 * created at module scope and served in the isolate at `/<library>/mcp`
 * (`/zod/mcp`, `/valibot/mcp`, `/arktype/mcp`); any other path is a 404.
 * scripts/workerd_fixture.sh serves it with WORKER_ENTRY set to this file
 * and WORKERD_MODE=isolate. Not a test file itself.
 * @module
 */

import type { McpHandler } from "../../../mod.ts";
import { createThreeSchemasServer, LIBRARIES, type Library } from "./three_schemas.ts";

const servers = new Map<string, McpHandler>(
  LIBRARIES.map((
    library: Library,
  ) => [library, createThreeSchemasServer(library, `/${library}/mcp`)]),
);

/** The Worker: the path's first segment names the library. */
export default {
  fetch(request: Request): Promise<Response> {
    const library = new URL(request.url).pathname.split("/")[1];
    const server = servers.get(library);
    if (server === undefined) return Promise.resolve(new Response("Not Found", { status: 404 }));
    return server(request);
  },
};
