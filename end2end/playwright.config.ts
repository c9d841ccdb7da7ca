import { defineConfig, devices } from "@playwright/test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

// Each run starts its own controller on a fresh data dir and port, from the release build.
// The config is loaded by the runner and again by each worker: the first load picks the
// port and data dir and leaves them in the environment the workers inherit.
process.env.GUREUM_E2E_PORT ??= String(20000 + Math.floor(Math.random() * 20000));
process.env.GUREUM_E2E_DATA ??= mkdtempSync(join(tmpdir(), "gureum-e2e-"));
const port = Number(process.env.GUREUM_E2E_PORT);
const dataDir = process.env.GUREUM_E2E_DATA;
const root = resolve(__dirname, "..");
const bin = process.env.GUREUM_BIN ?? join(root, "target/quick/gureum");

// Debian's chromium (apt-get install chromium); never `npx playwright install`.
const chromiumArgs = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

export default defineConfig({
  testDir: "./tests",
  globalTeardown: "./global-teardown.ts",
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: "list",
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: "off",
    acceptDownloads: true,
    actionTimeout: 20_000,
  },
  webServer: {
    // The fake data plane: these tests are about the portal (the CLI walkthrough moves
    // real packets), and it leaves nothing on the host.
    command: `${bin} serve --listen 127.0.0.1:${port} --data-dir ${dataDir} --site-root ${join(root, "target/site")} --network-driver fake`,
    url: `http://127.0.0.1:${port}/identity/v3`,
    env: { GUREUM_ADMIN_PASSWORD: "e2e-admin-password", RUST_LOG: "warn" },
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "ignore",
    stderr: "pipe",
  },
  projects: [
    {
      name: "chromium",
      use: {
        ...devices["Desktop Chrome"],
        launchOptions: {
          executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
          args: chromiumArgs,
        },
      },
    },
  ],
});
