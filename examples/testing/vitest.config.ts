/** vitest's configuration for this directory: its `*.vitest.ts` files only. */
export default { test: { include: ["*.vitest.ts"] } };
