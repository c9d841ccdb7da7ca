// Actions, finders and checks shared by the browser tests.
import { expect, Page } from "@playwright/test";

export const ADMIN_PASSWORD = "e2e-admin-password";

/** Waits until the WASM has hydrated the page (clicks before that are lost). */
export async function hydrated(page: Page) {
  await page.waitForSelector("body[data-hydrated]", { timeout: 30_000 });
}

export async function login(page: Page, user = "admin", password = ADMIN_PASSWORD, domain = "") {
  await page.goto("/auth/login");
  await hydrated(page);
  if (domain) await page.fill("input[name=domain]", domain);
  await page.fill("input[name=username]", user);
  await page.fill("input[name=password]", password);
  await page.click("#login-form button[type=submit]");
}

export async function loggedIn(page: Page) {
  await expect(page).toHaveURL(/\/project\/api_access/);
  await hydrated(page);
}

/** Collects console errors so a test can assert the page had none. */
export function consoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  return errors;
}
