/**
 * The parts of the browser test: page_client.ts bundled with the SDK by
 * esbuild into a temporary directory, a page server on its own loopback
 * port (so the page's origin is not the MCP server's), and Debian's
 * Chromium, headless, driven by puppeteer-core with a fresh profile. Every
 * wait has a deadline, and {@linkcode withChromium} always closes the
 * browser (killing it when it does not close) and removes its profile. Not
 * a test file itself.
 * @module
 */

import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import puppeteer, { type Browser } from "puppeteer-core";
import { type RunningServer, serveHandler } from "../../../examples/serve.ts";
import { within } from "../../helpers.ts";

/** Debian's Chromium (`apt-get install chromium`; .ci/run installs it). */
export const CHROMIUM = "/usr/bin/chromium";

/**
 * Chromium's flags. Without the background-networking ones it reaches for
 * Google's services, which a closed network refuses connection after connection.
 */
export const CHROMIUM_FLAGS: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** How long any one browser step may take. */
export const BROWSER_STEP_MS = 30_000;

const REPOSITORY = fileURLToPath(new URL("../../..", import.meta.url));

/** Bundles page_client.ts and the SDK client for the browser into `directory`/page.js. */
export async function bundlePageClient(directory: string): Promise<string> {
  const outfile = join(directory, "page.js");
  try {
    await within(
      esbuild.build({
        entryPoints: [join(REPOSITORY, "tests", "e2e", "browser", "page_client.ts")],
        absWorkingDir: REPOSITORY,
        bundle: true,
        format: "iife",
        platform: "browser",
        target: "es2022",
        outfile,
        logLevel: "silent",
      }),
      BROWSER_STEP_MS,
      "esbuild bundling the SDK client",
    );
  } finally {
    // esbuild keeps a service process for further builds: it would keep the test process alive.
    await esbuild.stop();
  }
  return outfile;
}

/** Serves the page (`/`) and its bundle (`/page.js`) on a free loopback port of its own. */
export async function servePage(bundle: string): Promise<RunningServer> {
  const script = await readFile(bundle, "utf8");
  const html = '<!doctype html><meta charset="utf-8"><title>tether page</title>' +
    '<script src="/page.js"></script>';
  return await serveHandler((request) => {
    const path = new URL(request.url).pathname;
    if (path === "/page.js") {
      return Promise.resolve(
        new Response(script, { headers: { "content-type": "text/javascript" } }),
      );
    }
    if (path === "/") {
      return Promise.resolve(new Response(html, { headers: { "content-type": "text/html" } }));
    }
    return Promise.resolve(new Response("not found", { status: 404 }));
  });
}

/** A fresh temporary directory, removed by the returned function. */
export async function temporaryDirectory(prefix: string): Promise<[string, () => Promise<void>]> {
  const directory = await mkdtemp(join(tmpdir(), prefix));
  return [directory, () => rm(directory, { recursive: true, force: true })];
}

/**
 * Runs `use` with a headless Chromium on a fresh profile, then closes it (or
 * kills it when closing takes too long) and removes the profile, whatever happened.
 */
export async function withChromium<T>(use: (browser: Browser) => Promise<T>): Promise<T> {
  const [profile, removeProfile] = await temporaryDirectory("tether-chromium-");
  let browser: Browser | undefined;
  try {
    browser = await within(
      puppeteer.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: [...CHROMIUM_FLAGS],
        userDataDir: profile,
        timeout: BROWSER_STEP_MS,
        protocolTimeout: BROWSER_STEP_MS,
      }),
      BROWSER_STEP_MS + 5_000,
      "Chromium to start",
    );
    return await use(browser);
  } finally {
    if (browser !== undefined) {
      try {
        await within(browser.close(), 10_000, "Chromium to close");
      } catch {
        browser.process()?.kill("SIGKILL");
      }
    }
    await removeProfile();
  }
}
