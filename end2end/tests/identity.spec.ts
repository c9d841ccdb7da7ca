import { expect, test } from "@playwright/test";
import { readFileSync } from "node:fs";
import { consoleErrors, hydrated, loggedIn, login } from "./fixtures";

test.describe.configure({ mode: "serial" });

test("a bad password shows one generic message and stays on the login page", async ({ page }) => {
  await login(page, "admin", "wrong-password");
  await expect(page.locator(".alert-error")).toHaveText("Invalid credentials. Please try again.");
  await expect(page).toHaveURL(/\/auth\/login/);
  // What was typed in the user name is not lost.
  await expect(page.locator("input[name=username]")).toHaveValue("admin");
});

test("an unknown user gets the same message as a bad password", async ({ page }) => {
  await login(page, "nobody-here", "whatever-password");
  await expect(page.locator(".alert-error")).toHaveText("Invalid credentials. Please try again.");
});

test("admin logs in and sees the dashboards and the identity endpoint", async ({ page }) => {
  const errors = consoleErrors(page);
  await login(page);
  await loggedIn(page);
  await expect(page.locator("nav.sidebar")).toContainText("Project");
  await expect(page.locator("nav.sidebar")).toContainText("Admin");
  await expect(page.locator("nav.sidebar")).toContainText("Identity");
  await expect(page.locator("#endpoints")).toContainText("identity (keystone)");
  await expect(page.locator("#endpoints")).toContainText("/identity/v3");
  expect(errors.filter((e) => !e.includes("favicon"))).toEqual([]);
});

test("admin creates a project and a user with a role, and the user logs in to it", async ({ page }) => {
  await login(page);
  await loggedIn(page);

  await page.goto("/identity/projects");
  await hydrated(page);
  await page.click("#create-project");
  await page.fill("#create-project-form input[name=name]", "e2e-project");
  await page.fill("#create-project-form textarea[name=description]", "made by the browser test");
  await page.click("#create-project-form button[type=submit]");
  const row = page.locator("#projects tr[data-name=e2e-project]");
  await expect(row).toContainText("made by the browser test");

  await page.goto("/identity/users");
  await hydrated(page);
  await page.click("#create-user");
  const form = page.locator("#create-user-form");
  await form.locator("input[name=name]").fill("e2e-user");
  await form.locator("input[name=email]").fill("e2e@example.org");
  await form.locator("input[name=password]").fill("e2e-user-password");
  await form.locator("input[name=confirm]").fill("e2e-user-password");
  await form.locator("select[name=project_id]").selectOption({ label: "e2e-project" });
  await form.locator("select[name=role_id]").selectOption({ label: "member" });
  await form.locator("button[type=submit]").click();
  await expect(page.locator("#users tr[data-name=e2e-user]")).toContainText("e2e@example.org");

  // A mismatched confirmation is refused inline, and nothing typed is lost.
  await page.click("#create-user");
  await form.locator("input[name=name]").fill("e2e-user-2");
  await form.locator("input[name=password]").fill("e2e-user-password");
  await form.locator("input[name=confirm]").fill("different-password");
  await form.locator("button[type=submit]").click();
  await expect(form.locator(".alert-error")).toHaveText("Passwords do not match.");
  await expect(form.locator("input[name=name]")).toHaveValue("e2e-user-2");

  // The new user logs in straight into its primary project.
  await page.context().clearCookies();
  await login(page, "e2e-user", "e2e-user-password", "Default");
  await loggedIn(page);
  await expect(page.locator("#project-switcher option:checked")).toHaveText("e2e-project");
  // A member sees no Admin dashboard and no identity administration.
  await expect(page.locator("nav.sidebar")).not.toContainText("System Information");
  await expect(page.locator("nav.sidebar")).not.toContainText("Users");
});

test("deleting a project asks for confirmation first", async ({ page }) => {
  await login(page);
  await loggedIn(page);
  await page.goto("/identity/projects");
  await hydrated(page);
  await page.click("#create-project");
  await page.fill("#create-project-form input[name=name]", "doomed");
  await page.click("#create-project-form button[type=submit]");
  const row = page.locator("#projects tr[data-name=doomed]");
  await expect(row).toBeVisible();
  await row.locator("input[type=checkbox]").check();
  await page.click("#delete-projects");
  await expect(page.locator(".modal .confirm-names")).toHaveText("doomed");
  await page.click(".modal button.confirm");
  await expect(row).toHaveCount(0);
});

test("switching project rescopes the session", async ({ page }) => {
  await login(page);
  await loggedIn(page);
  await expect(page.locator("#project-switcher option:checked")).toHaveText("admin");
  // The admin is a member of e2e-project only after being added: do it from Manage Members.
  await page.goto("/identity/projects");
  await hydrated(page);
  await page.locator("#projects tr[data-name=e2e-project] button", { hasText: "Manage Members" }).click();
  const adminRow = page.locator("#members tr[data-name=admin]");
  await adminRow.locator("input[aria-label=member]").check();
  await expect(adminRow.locator("input[aria-label=member]")).toBeChecked();
  await page.goto("/project/api_access");
  await hydrated(page);
  await page.selectOption("#project-switcher", { label: "e2e-project" });
  await page.waitForTimeout(300);
  await page.reload();
  await hydrated(page);
  await expect(page.locator("#project-switcher option:checked")).toHaveText("e2e-project");
});

test("the OpenStack RC file downloads for the current project", async ({ page }) => {
  await login(page);
  await loggedIn(page);
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download-openrc")]);
  expect(download.suggestedFilename()).toBe("admin-openrc.sh");
  const body = readFileSync(await download.path(), "utf8");
  expect(body).toContain("export OS_AUTH_URL=");
  expect(body).toContain("/identity/v3'");
  expect(body).toContain("export OS_PROJECT_NAME='admin'");
  expect(body).toContain("read -sr OS_PASSWORD_INPUT");
  const [yaml] = await Promise.all([page.waitForEvent("download"), page.click("#download-clouds")]);
  expect(readFileSync(await yaml.path(), "utf8")).toContain("clouds:\n  gureum:");
});

test("the portal speaks Korean", async ({ page }) => {
  await login(page);
  await loggedIn(page);
  await page.goto("/settings");
  await hydrated(page);
  await page.selectOption("#language", "ko");
  await page.click("#save-preferences");
  await expect(page.locator(".saved")).toHaveText("저장되었습니다.");
  await page.goto("/identity/users");
  await expect(page.locator("h2")).toHaveText("사용자");
  await expect(page.locator("nav.sidebar")).toContainText("인증");
  await expect(page.locator("#users th").nth(1)).toHaveText(/사용자 이름/);
  await expect(page.locator("html")).toHaveAttribute("lang", "ko");
  // Back to English for the tests that follow.
  await page.goto("/settings");
  await hydrated(page);
  await page.selectOption("#language", "en");
  await page.click("#save-preferences");
  await expect(page.locator(".saved")).toHaveText("Saved.");
});

test("logout ends the session", async ({ page }) => {
  await login(page);
  await loggedIn(page);
  await page.click("#user-menu");
  await page.click("#sign-out");
  await expect(page).toHaveURL(/\/auth\/login/);
  await page.goto("/identity/projects");
  await expect(page).toHaveURL(/\/auth\/login/);
});
