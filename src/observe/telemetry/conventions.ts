/**
 * The names tether's telemetry uses, from the OpenTelemetry semantic
 * conventions for MCP (span and metric names, attribute keys, bucket
 * boundaries), plus the few of tether's own (prefixed `tether.`). Names
 * only: nothing here builds or records anything.
 * @module
 */

/** The instrumentation scope of every tracer and meter tether asks for. */
export const SCOPE = "@tether/mcp";

/** Attribute keys of the MCP, GenAI, JSON-RPC, RPC, network and error conventions. */
export const ATTR = {
  method: "mcp.method.name",
  sessionId: "mcp.session.id",
  protocolVersion: "mcp.protocol.version",
  resourceUri: "mcp.resource.uri",
  requestId: "jsonrpc.request.id",
  toolName: "gen_ai.tool.name",
  promptName: "gen_ai.prompt.name",
  operation: "gen_ai.operation.name",
  errorType: "error.type",
  statusCode: "rpc.response.status_code",
  networkTransport: "network.transport",
  networkProtocol: "network.protocol.name",
  /** tether's own: why a session ended (`delete`, `idle`, `absolute`, `close`, `gone`). */
  sessionEndReason: "tether.session.end_reason",
  /** tether's own: on a 2026-07-28 input request event, whether the client had answered it. */
  inputAnswered: "tether.input.answered",
  /** tether's own: on an `input_required` event, how many input requests the answer carries. */
  inputRequests: "tether.input.requests",
} as const;

/** The metrics: the conventions' two histograms and tether's gauge of requests in progress. */
export const METRIC = {
  operationDuration: "mcp.server.operation.duration",
  sessionDuration: "mcp.server.session.duration",
  activeRequests: "tether.server.active_requests",
} as const;

/** The span events tether adds to a 2026-07-28 request's SERVER span. */
export const EVENT = {
  /** A handler asked the client for input (`ctx.elicit`, `ctx.sample`, `ctx.listRoots`). */
  inputRequest: "mcp.input_request",
  /** The answer is `resultType: "input_required"`: the client retries with the answers. */
  inputRequired: "mcp.input_required",
} as const;

/**
 * The client→server request methods of the MCP revisions tether serves:
 * telemetry names these as they are even when this server does not serve
 * them (it answers -32601); any other method it does not serve is `_OTHER`.
 */
export const MCP_METHODS: ReadonlySet<string> = new Set([
  "initialize",
  "ping",
  "server/discover",
  "subscriptions/listen",
  "logging/setLevel",
  "completion/complete",
  "tools/list",
  "tools/call",
  "prompts/list",
  "prompts/get",
  "resources/list",
  "resources/templates/list",
  "resources/read",
  "resources/subscribe",
  "resources/unsubscribe",
  "tasks/get",
  "tasks/result",
  "tasks/list",
  "tasks/cancel",
]);

/**
 * The client→server notifications of the MCP revisions tether serves:
 * their spans are named by them; any other a server's extension does not
 * handle is `_OTHER`.
 */
export const MCP_NOTIFICATIONS: ReadonlySet<string> = new Set([
  "notifications/initialized",
  "notifications/cancelled",
  "notifications/progress",
  "notifications/roots/list_changed",
  "notifications/tasks/status",
]);

/** The bucket boundaries the conventions advise for both duration histograms, seconds. */
export const DURATION_BUCKETS: number[] = [
  0.01,
  0.02,
  0.05,
  0.1,
  0.2,
  0.5,
  1,
  2,
  5,
  10,
  30,
  60,
  120,
  300,
];

/** `error.type` of a tools/call whose result has `isError: true`. */
export const TOOL_ERROR = "tool_error";
/** `error.type` of a request whose answer was never given (cancelled, its session ended, abandoned). */
export const CANCELLED = "cancelled";
