/**
 * The MCP data shapes tether reads and writes (2025-03-26 … 2025-11-25):
 * capabilities, content blocks, tool results, resource contents and prompt
 * messages. Shapes only; behaviour lives in the modules that use them.
 * @module
 */

/**
 * A name/version pair identifying a client or server implementation.
 *
 * @example
 * ```ts
 * import type { Implementation } from "@tether/mcp/types";
 * const server: Implementation = { name: "weather", version: "2.1.0", title: "Weather" };
 * ```
 */
export interface Implementation {
  /** Machine-friendly name. */
  name: string;
  /** Version string. */
  version: string;
  /** Human-friendly name. */
  title?: string;
  /** Icons a client may show for it (2025-11-25 and later). */
  icons?: Icon[];
  /** Its website (2025-11-25 and later). */
  websiteUrl?: string;
  /** Other fields. */
  [key: string]: unknown;
}

/**
 * An icon a client may show for the server, a tool, a resource, a resource
 * template or a prompt (2025-11-25 and later; older clients ignore it).
 * `src` is an `https:` or `http:` URL or a `data:` URI.
 *
 * @example
 * ```ts
 * import type { Icon } from "@tether/mcp/types";
 * const logo: Icon = { src: "https://example.com/logo.png", mimeType: "image/png", sizes: ["48x48"] };
 * ```
 */
export interface Icon {
  /** An `https:`/`http:` URL or a `data:` URI of the image. */
  src: string;
  /** The image's MIME type, when the source does not say (`image/png`, `image/svg+xml`, ...). */
  mimeType?: string;
  /** Sizes it fits, `WxH` (`"48x48"`) or `"any"` for scalable images. */
  sizes?: string[];
  /** The background it is drawn for; any theme when absent. */
  theme?: "light" | "dark";
}

/**
 * Capabilities a client declares at initialize.
 *
 * @example
 * ```ts
 * import type { ClientCapabilities } from "@tether/mcp/types";
 * const canAsk = (capabilities: ClientCapabilities): boolean => capabilities.elicitation !== undefined;
 * ```
 */
export interface ClientCapabilities {
  /** The client can list roots (`roots/list`). */
  roots?: { listChanged?: boolean };
  /** The client can sample its model (`sampling/createMessage`). */
  sampling?: Record<string, unknown>;
  /** The client can ask its user (`elicitation/create`); `{}` means form mode. */
  elicitation?: { form?: Record<string, unknown>; url?: Record<string, unknown> };
  /** Non-standard capabilities. */
  experimental?: Record<string, unknown>;
  /** Capabilities of later revisions (tasks, ...). */
  [key: string]: unknown;
}

/**
 * Optional annotations on content: audience, priority, last modified.
 *
 * @example
 * ```ts
 * import type { ContentAnnotations } from "@tether/mcp/types";
 * const forTheUser: ContentAnnotations = { audience: ["user"], priority: 0.8 };
 * ```
 */
export interface ContentAnnotations {
  /** Who the content is for. */
  audience?: ("user" | "assistant")[];
  /** Importance from 0 (least) to 1 (most). */
  priority?: number;
  /** ISO 8601 timestamp of the last change. */
  lastModified?: string;
}

/**
 * Plain text content.
 *
 * @example
 * ```ts
 * import type { TextContent } from "@tether/mcp/types";
 * const text: TextContent = { type: "text", text: "Hello" };
 * ```
 */
export interface TextContent {
  /** Block type. */
  type: "text";
  /** The text. */
  text: string;
  /** Audience, priority and last-modified hints. */
  annotations?: ContentAnnotations;
  /** Extra metadata. */
  _meta?: Record<string, unknown>;
}

/**
 * Base64-encoded image content.
 *
 * @example
 * ```ts
 * import type { ImageContent } from "@tether/mcp/types";
 * const image: ImageContent = { type: "image", data: "iVBORw0KGgo=", mimeType: "image/png" };
 * ```
 */
export interface ImageContent {
  /** Block type. */
  type: "image";
  /** Base64-encoded bytes. */
  data: string;
  /** MIME type of the data. */
  mimeType: string;
  /** Audience, priority and last-modified hints. */
  annotations?: ContentAnnotations;
  /** Extra metadata. */
  _meta?: Record<string, unknown>;
}

/**
 * Base64-encoded audio content.
 *
 * @example
 * ```ts
 * import type { AudioContent } from "@tether/mcp/types";
 * const audio: AudioContent = { type: "audio", data: "UklGRg==", mimeType: "audio/wav" };
 * ```
 */
export interface AudioContent {
  /** Block type. */
  type: "audio";
  /** Base64-encoded bytes. */
  data: string;
  /** MIME type of the data. */
  mimeType: string;
  /** Audience, priority and last-modified hints. */
  annotations?: ContentAnnotations;
  /** Extra metadata. */
  _meta?: Record<string, unknown>;
}

/**
 * A link to a resource the client may read.
 *
 * @example
 * ```ts
 * import type { ResourceLink } from "@tether/mcp/types";
 * const link: ResourceLink = { type: "resource_link", uri: "docs://readme", name: "readme" };
 * ```
 */
export interface ResourceLink {
  /** Block type. */
  type: "resource_link";
  /** The resource URI. */
  uri: string;
  /** Short name. */
  name: string;
  /** Human-friendly display name. */
  title?: string;
  /** What it is. */
  description?: string;
  /** MIME type, when known. */
  mimeType?: string;
  /** Audience, priority and last-modified hints. */
  annotations?: ContentAnnotations;
  /** Extra metadata. */
  _meta?: Record<string, unknown>;
}

/**
 * The contents of one resource: text or a base64 blob.
 *
 * @example
 * ```ts
 * import type { ResourceContents } from "@tether/mcp/types";
 * const text: ResourceContents = { uri: "docs://readme", mimeType: "text/markdown", text: "# Hi" };
 * ```
 */
export type ResourceContents =
  | { uri: string; mimeType?: string; text: string; _meta?: Record<string, unknown> }
  | { uri: string; mimeType?: string; blob: string; _meta?: Record<string, unknown> };

/**
 * A resource embedded in a message or tool result.
 *
 * @example
 * ```ts
 * import type { EmbeddedResource } from "@tether/mcp/types";
 * const embedded: EmbeddedResource = { type: "resource", resource: { uri: "docs://readme", text: "# Hi" } };
 * ```
 */
export interface EmbeddedResource {
  /** Block type. */
  type: "resource";
  /** The embedded contents. */
  resource: ResourceContents;
  /** Audience, priority and last-modified hints. */
  annotations?: ContentAnnotations;
  /** Extra metadata. */
  _meta?: Record<string, unknown>;
}

/**
 * Any content block a tool result or prompt message may carry.
 *
 * @example
 * ```ts
 * import type { ContentBlock } from "@tether/mcp/types";
 * const blocks: ContentBlock[] = [{ type: "text", text: "Here is the chart:" }, { type: "image", data: "iVBORw0KGgo=", mimeType: "image/png" }];
 * ```
 */
export type ContentBlock =
  | TextContent
  | ImageContent
  | AudioContent
  | ResourceLink
  | EmbeddedResource;

/**
 * The result of `tools/call`.
 *
 * @example
 * ```ts
 * import { defineTool } from "@tether/mcp";
 * import type { CallToolResult } from "@tether/mcp/types";
 * export const sum = defineTool({
 *   name: "sum",
 *   handler: (): CallToolResult => ({ content: [{ type: "text", text: "3" }], structuredContent: { sum: 3 } }),
 * });
 * ```
 */
export interface CallToolResult {
  /** Content for the model. */
  content: ContentBlock[];
  /**
   * Machine-readable result, matching the tool's output schema: any JSON
   * value in 2026-07-28, an object in the revisions before it.
   */
  structuredContent?: unknown;
  /** True when the tool failed; the content explains why. */
  isError?: boolean;
  /** Extra metadata. */
  _meta?: Record<string, unknown>;
}

/**
 * Hints about a tool's behaviour, for clients.
 *
 * @example
 * ```ts
 * import { defineTool } from "@tether/mcp";
 * import type { ToolAnnotations } from "@tether/mcp/types";
 * const annotations: ToolAnnotations = { readOnlyHint: true, openWorldHint: false };
 * const status = defineTool({ name: "status", annotations, handler: () => "ok" });
 * ```
 */
export interface ToolAnnotations {
  /** Human-friendly display name. */
  title?: string;
  /** The tool does not modify its environment. */
  readOnlyHint?: boolean;
  /** The tool may destroy data. */
  destructiveHint?: boolean;
  /** Calling twice with the same input has no extra effect. */
  idempotentHint?: boolean;
  /** The tool talks to the outside world. */
  openWorldHint?: boolean;
}

/**
 * One message of a prompt.
 *
 * @example
 * ```ts
 * import type { PromptMessage } from "@tether/mcp/types";
 * const message: PromptMessage = { role: "user", content: { type: "text", text: "Summarise this." } };
 * ```
 */
export interface PromptMessage {
  /** Who speaks the message. */
  role: "user" | "assistant";
  /** The message content. */
  content: ContentBlock;
}

/**
 * The result of `prompts/get`.
 *
 * @example
 * ```ts
 * import { definePrompt } from "@tether/mcp";
 * import type { GetPromptResult } from "@tether/mcp/types";
 * export const review = definePrompt({
 *   name: "review",
 *   handler: (): GetPromptResult => ({ description: "A code review", messages: [{ role: "user", content: { type: "text", text: "Review this." } }] }),
 * });
 * ```
 */
export interface GetPromptResult {
  /** What it is. */
  description?: string;
  /** The prompt's messages. */
  messages: PromptMessage[];
  /** Extra metadata. */
  _meta?: Record<string, unknown>;
}

/**
 * A resource as listed by `resources/list`.
 *
 * @example
 * ```ts
 * import type { ResourceEntry } from "@tether/mcp/types";
 * const entry: ResourceEntry = { uri: "users://7/profile", name: "user 7", mimeType: "application/json" };
 * ```
 */
export interface ResourceEntry {
  /** The resource URI. */
  uri: string;
  /** Short name. */
  name: string;
  /** Human-friendly display name. */
  title?: string;
  /** What it is. */
  description?: string;
  /** MIME type, when known. */
  mimeType?: string;
  /** Size in bytes, when known. */
  size?: number;
  /** Audience, priority and last-modified hints. */
  annotations?: ContentAnnotations;
  /** Icons a client may show for it. */
  icons?: Icon[];
  /** Extra metadata. */
  _meta?: Record<string, unknown>;
}
