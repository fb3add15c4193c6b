/**
 * The shape a client's answer to a server→client request must have
 * (`elicitation/create`: an action; `sampling/createMessage`: content;
 * `roots/list`: roots), checked wherever answers arrive out of band: the
 * 2026-07-28 input rounds and the tasks extension's `tasks/update`. Only
 * the shape: what the answer means is the handler's business.
 * @module
 */

import { isPlainObject } from "../../jsonrpc/messages.ts";

/** Checks an answer's shape against what was asked; a message when it is not an answer to `method`. */
export function answerProblem(method: string, answer: Record<string, unknown>): string | undefined {
  switch (method) {
    case "elicitation/create":
      return ["accept", "decline", "cancel"].includes(answer.action as string)
        ? undefined
        : "an elicitation answer needs an action";
    case "sampling/createMessage":
      return isPlainObject(answer.content) || Array.isArray(answer.content)
        ? undefined
        : "a sampling answer needs content";
    case "roots/list":
      return Array.isArray(answer.roots) ? undefined : "a roots answer needs a roots array";
    default:
      return undefined;
  }
}
