import { expect, test } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { consoleErrors, hydrated, loggedIn, login } from "./fixtures";

// The walkthrough in the browser: upload the repository's own test image, launch it from
// the wizard on the real QEMU driver, watch it become Active without reloading, read its
// boot log, and delete it after confirming.
test.describe.configure({ mode: "serial" });

// Made when the tests run (the runner also loads this file, to list them) and removed after.
let work = "";
let image = "";

test.beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "gureum-e2e-image-"));
  image = join(work, "guest.qcow2");
  execFileSync(resolve(__dirname, "../../scripts/build-test-image.sh"), [image], { stdio: "inherit" });
});

test.afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test("admin creates a flavor for the walkthrough", async ({ page }) => {
  await login(page);
  await loggedIn(page);
  await page.goto("/admin/flavors");
  await hydrated(page);
  await page.click("#create-flavor");
  const form = page.locator("#create-flavor-form");
  await form.locator("input[name=name]").fill("e2e.tiny");
  await form.locator("input[name=vcpus]").fill("1");
  await form.locator("input[name=ram]").fill("256");
  await form.locator("input[name=disk]").fill("1");
  await form.locator("button[type=submit]").click();
  await expect(page.locator("#flavors tr[data-name='e2e.tiny']")).toContainText("256 MB");

  // Update Metadata: an extra spec is added and shown.
  await page.locator("#flavors tr[data-name='e2e.tiny'] .specs-row").click();
  await page.locator("#extra-specs-form input[name=key]").fill("hw:cpu_policy");
  await page.locator("#extra-specs-form input[name=value]").fill("shared");
  await page.locator("#extra-specs-form button[type=submit]").click();
  await expect(page.locator("#flavors tr[data-name='e2e.tiny']")).toContainText("hw:cpu_policy=shared");

  // A private flavor is given to a project through Modify Access.
  await page.click("#create-flavor");
  await form.locator("input[name=name]").fill("e2e.private");
  await form.locator("input[type=checkbox]").uncheck();
  await form.locator("button[type=submit]").click();
  const priv = page.locator("#flavors tr[data-name='e2e.private']");
  await expect(priv).toContainText("No");
  await priv.locator(".access-row").click();
  await page.locator("#flavor-access input[data-project=admin]").check();
  await page.click("#save-flavor-access");
  await expect(page.locator("#flavor-access")).toHaveCount(0);
  await priv.locator(".access-row").click();
  await expect(page.locator("#flavor-access input[data-project=admin]")).toBeChecked();
});

test("a user uploads an image with a progress bar, launches it from the wizard, reads its log and deletes it", async ({ page }) => {
  test.setTimeout(240_000);
  const errors = consoleErrors(page);
  await login(page);
  await loggedIn(page);

  // Upload.
  await page.goto("/project/images");
  await hydrated(page);
  await page.click("#create-image");
  const form = page.locator("#create-image-form");
  await form.locator("input[name=name]").fill("e2e-guest");
  await form.locator("#image-file").setInputFiles(image);
  await form.locator("select[name=disk_format]").selectOption("qcow2");
  await form.locator("button[type=submit]").click();
  const row = page.locator("#images tr[data-name=e2e-guest]");
  await expect(row).toHaveAttribute("data-status", "active", { timeout: 60_000 });
  await expect(row).toContainText("QCOW2");

  // Launch from the wizard.
  await page.goto("/project/instances");
  await hydrated(page);
  await page.click("#launch-instance");
  const wizard = page.locator("#launch-wizard");
  await wizard.locator("#instance-name").fill("e2e-vm");
  await wizard.locator("#wizard-next").click();
  await wizard.locator("#image-picker tr[data-name=e2e-guest] input[type=radio]").check();
  await wizard.locator("#wizard-next").click();
  await wizard.locator("#flavor-picker tr[data-name='e2e.tiny'] input[type=radio]").check();
  // The impact on the quota shows the one instance being added.
  await expect(wizard.locator("#quota-impact [data-resource=instances]")).toContainText("+ 1");
  await wizard.locator("#wizard-next").click();
  // No network in this project yet: the Networks step says the instance gets none.
  await expect(wizard.locator("#no-networks")).toBeVisible();
  await wizard.locator("#wizard-launch").click();

  // Active, pushed to the page (no reload).
  const vm = page.locator("#instances tr[data-name=e2e-vm]");
  await expect(vm).toHaveAttribute("data-status", "ACTIVE", { timeout: 60_000 });
  await expect(vm).toContainText("Running");

  // The log shows the guest's login prompt.
  await vm.locator("a").first().click();
  await expect(page.locator("#instance-name")).toHaveText("e2e-vm");
  await page.click("a[data-tab=log]");
  await expect(async () => {
    await page.click("text=Refresh");
    await expect(page.locator("#console-log")).toContainText("e2e-vm login:", { timeout: 5_000 });
  }).toPass({ timeout: 150_000 });

  // The console: noVNC in the page, through the portal's websocket proxy.
  await page.click("a[data-tab=console]");
  const console = page.frameLocator("#console-frame");
  await expect(console.locator("body")).toHaveAttribute("data-state", "connected", { timeout: 30_000 });
  await expect(console.locator("#screen canvas")).toBeVisible();

  // Delete, confirmed.
  await page.goto("/project/instances");
  await hydrated(page);
  await page.locator("#instances tr[data-name=e2e-vm] .more-actions").click();
  await page.locator("#instances tr[data-name=e2e-vm] .delete-row").click();
  await expect(page.locator(".confirm-names")).toHaveText("e2e-vm");
  await page.locator(".modal .confirm").click();
  await expect(page.locator("#instances tr[data-name=e2e-vm]")).toHaveCount(0, { timeout: 60_000 });
  expect(errors.filter((e) => !e.includes("favicon"))).toEqual([]);
});

test("the overview shows the limit summary and the key pair page offers the private key once", async ({ page }) => {
  await login(page);
  await loggedIn(page);
  await page.goto("/project/overview");
  await hydrated(page);
  await expect(page.locator("#limit-summary .usage-pie")).toHaveCount(4);
  await expect(page.locator("#limit-summary [data-resource=Instances]")).toContainText("of 10");

  // The usage summary covers this month so far: the e2e-vm deleted above ran in it.
  await expect(page.locator("#usage-start")).toHaveValue(/^\d{4}-\d{2}-01$/);
  await expect(page.locator("#usage-table")).toContainText("e2e-vm");
  await expect(page.locator("#usage-totals")).toContainText("VCPU-Hours");
  const csv = page.waitForEvent("download");
  await page.click("#usage-csv");
  expect((await csv).suggestedFilename()).toMatch(/^usage-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv$/);
  // A period that ends before it starts is explained inline.
  await page.fill("#usage-start", "2026-11-20");
  await page.fill("#usage-end", "2026-11-01");
  await page.click("#usage-period button[type=submit]");
  await expect(page.locator("#usage-error")).toContainText("must not be after");

  // Admin → Overview: every project's usage.
  await page.goto("/admin/overview");
  await hydrated(page);
  await expect(page.locator("#usage-table tbody tr").first()).toBeVisible();

  await page.goto("/project/key_pairs");
  await hydrated(page);
  await page.click("#create-key-pair");
  await page.locator("#create-key-pair-form input[name=name]").fill("e2e-key");
  await page.locator("#create-key-pair-form button[type=submit]").click();
  const download = page.waitForEvent("download");
  await page.click("#download-private-key");
  const file = await download;
  expect(file.suggestedFilename()).toBe("e2e-key.pem");
  await expect(page.locator("#key-pairs tr[data-name=e2e-key]")).toBeVisible();
});
