/**
 * The hostile soak's processes (bench/soak_hostile.ts): the OTLP sink the fixtures export to, a
 * conformance fixture started on a runtime, a port nobody listens on, and a process's RSS.
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { BINARIES, ROOT, type Runtime } from "../lib/proc.ts";

/** The OTLP sink: takes every export, keeps counts and the largest batch. */
export interface Sink {
  server: Server;
  url: string;
  batches: number;
  bytes: number;
  largest: number;
}

export async function startSink(): Promise<Sink> {
  const sink = { batches: 0, bytes: 0, largest: 0 } as Sink;
  sink.server = createServer((request, response) => {
    let size = 0;
    request.on("data", (chunk: Buffer) => size += chunk.length);
    request.on("end", () => {
      sink.batches++;
      sink.bytes += size;
      sink.largest = Math.max(sink.largest, size);
      response.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => sink.server.listen(0, "127.0.0.1", resolve));
  sink.url = `http://127.0.0.1:${(sink.server.address() as AddressInfo).port}`;
  return sink;
}

/** A fixture process and where it listens. */
export interface Fixture {
  child: ChildProcess;
  url: string;
  dead: () => string | undefined;
}

/** A free loopback port nobody listens on: the OAuth issuer that never answers. */
export async function deadPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

export function startFixture(runtime: Runtime, env: Record<string, string>): Promise<Fixture> {
  const entry = "examples/everything.ts";
  const argv = runtime === "deno"
    ? [BINARIES.deno, "run", "-A", entry]
    : [BINARIES[runtime], entry];
  const child = spawn(argv[0], argv.slice(1), {
    cwd: ROOT,
    env: { ...process.env, PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  let exit: string | undefined;
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-2000);
  });
  child.on("exit", (code, signal) => exit = `exited (${code ?? signal}): ${stderr.slice(-600)}`);
  return new Promise((resolve, reject) => {
    let stdout = "";
    const timer = setTimeout(() => reject(new Error(`${runtime}: no listening line`)), 30_000);
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      const found = /listening on (http:\/\/\S+\/mcp)/.exec(stdout);
      if (found === null) return;
      clearTimeout(timer);
      child.stdout!.removeAllListeners("data").resume();
      resolve({ child, url: found[1], dead: () => exit });
    });
    child.on("exit", () => reject(new Error(`${runtime} ${exit}`)));
  });
}

/** RSS of a process, bytes (/proc/<pid>/status VmRSS). */
export function rssOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n")
    .find((l) => l.startsWith("VmRSS:"));
  return Number(/(\d+)/.exec(line ?? "")?.[1] ?? 0) * 1024;
}
