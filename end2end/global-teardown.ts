import { rmSync } from "node:fs";
import { basename } from "node:path";

// The controller's data dir of this run (made by playwright.config.ts) goes with it.
export default async function globalTeardown() {
  const dir = process.env.GUREUM_E2E_DATA;
  if (dir && basename(dir).startsWith("gureum-e2e-")) {
    rmSync(dir, { recursive: true, force: true });
  }
}
