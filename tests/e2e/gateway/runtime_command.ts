/** How to run a TypeScript file as a subprocess on the runtime running the tests. */

interface DenoLike {
  execPath(): string;
}

/** The command and arguments that run `file` on this runtime. */
export function runtimeCommand(file: string): { command: string; args: string[] } {
  const deno = (globalThis as { Deno?: DenoLike }).Deno;
  if (deno !== undefined) return { command: deno.execPath(), args: ["run", "-A", file] };
  return { command: process.execPath, args: [file] };
}

/** True while a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
