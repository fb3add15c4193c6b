/**
 * Where a request's (or a client notification's) SERVER span is parented: the trace context in its
 * `params._meta` (`traceparent`, `tracestate`, `baggage`: SEP-414, any
 * protocol revision) wins, as the MCP conventions ask; else the POST's HTTP
 * `traceparent`/`tracestate` headers; else the ambient active context. When
 * `_meta` wins and the HTTP request carried another context, the span links
 * to it. Extraction goes through the globally registered propagator (the
 * W3C one, as a rule), so nothing is parsed here.
 * @module
 */

import {
  type Context,
  context,
  type Link,
  propagation,
  ROOT_CONTEXT,
  type TextMapGetter,
  trace,
} from "@opentelemetry/api";
import { asPlainObject, type JsonRpcRequest } from "../../jsonrpc/messages.ts";

const HEADERS: TextMapGetter<Headers> = {
  get: (headers, key) => headers.get(key) ?? undefined,
  keys: (headers) => [...headers.keys()],
};

const META: TextMapGetter<Record<string, unknown>> = {
  get: (meta, key) => {
    const value = Object.hasOwn(meta, key) ? meta[key] : undefined;
    return typeof value === "string" ? value : undefined;
  },
  keys: (meta) => Object.keys(meta),
};

/** The context of a POST's HTTP request: its trace headers over the active context. */
export function httpContext(headers: Headers | undefined): Context {
  const active = context.active();
  return headers === undefined ? active : propagation.extract(active, headers, HEADERS);
}

/** A request's parent and, when `_meta` overrides the HTTP context, the link to the latter. */
export function parentOf(
  request: Pick<JsonRpcRequest, "params">,
  http: Context,
): { parent: Context; links: Link[] | undefined } {
  const meta = asPlainObject(request.params?._meta);
  if (meta === undefined || typeof meta.traceparent !== "string") {
    return { parent: http, links: undefined };
  }
  const fromMeta = propagation.extract(ROOT_CONTEXT, meta, META);
  const parent = trace.getSpanContext(fromMeta);
  if (parent === undefined || !trace.isSpanContextValid(parent)) {
    return { parent: http, links: undefined };
  }
  const transport = trace.getSpanContext(http);
  const links = transport !== undefined && trace.isSpanContextValid(transport) &&
      transport.spanId !== parent.spanId
    ? [{ context: transport }]
    : undefined;
  return { parent: fromMeta, links };
}
