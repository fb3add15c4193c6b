/**
 * A 2026-07-28 listen stream as a resource's `subscribe` and `unsubscribe`
 * hooks see it (`ctx.listen`), for a listen whose `resourceSubscriptions`
 * name a URI they serve.
 * @module
 */

/**
 * One 2026-07-28 listen stream, as a resource's `subscribe` hook sees it
 * (`ctx.listen`): what identifies the stream, and how to tell it alone that
 * a resource it subscribed to changed. Per process: the stream is held here.
 *
 * @example
 * ```ts
 * import type { ListenTarget } from "@tether/mcp/types";
 * const watchers = new Map<string, ListenTarget>();
 * const watch = (target: ListenTarget): void => void watchers.set(target.id, target);
 * ```
 */
export interface ListenTarget {
  /** Unique among the listen streams of this process (not the client's request id). */
  readonly id: string;
  /**
   * Sends `notifications/resources/updated` of `uri` on this stream alone,
   * tagged with its subscription id; false (nothing sent) when the stream
   * has ended or did not subscribe to `uri`.
   */
  resourceUpdated(uri: string): boolean;
}
