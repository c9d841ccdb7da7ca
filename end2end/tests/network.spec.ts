import { APIRequestContext, expect, test } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ADMIN_PASSWORD, consoleErrors, hydrated, loggedIn, login } from "./fixtures";

// The seed's network, built in the portal: the external network (Admin → Networks), a
// project network with its subnet (the three-step workflow), a router with the gateway
// and an interface, SSH and ICMP in `default`, an instance launched on the network from
// the wizard, a floating IP associated with it, and Network Topology drawing all of it.
test.describe.configure({ mode: "serial" });

let work = "";
let token = "";

async function apiToken(request: APIRequestContext): Promise<string> {
  const r = await request.post("/identity/v3/auth/tokens", {
    data: {
      auth: {
        identity: { methods: ["password"], password: { user: { name: "admin", domain: { id: "default" }, password: ADMIN_PASSWORD } } },
        scope: { project: { name: "admin", domain: { id: "default" } } },
      },
    },
  });
  expect(r.status()).toBe(201);
  return r.headers()["x-subject-token"];
}

test.beforeAll(async ({ request }) => {
  // The guest image and a flavor, through the APIs (the compute walkthrough covers doing
  // it in the portal).
  work = mkdtempSync(join(tmpdir(), "gureum-e2e-net-"));
  const file = join(work, "guest.qcow2");
  execFileSync(resolve(__dirname, "../../scripts/build-test-image.sh"), [file], { stdio: "inherit" });
  token = await apiToken(request);
  const headers = { "X-Auth-Token": token };
  const img = await request.post("/image/v2/images", {
    headers,
    data: { name: "net-guest", disk_format: "qcow2", container_format: "bare" },
  });
  expect(img.status()).toBe(201);
  const id = (await img.json()).id;
  const put = await request.put(`/image/v2/images/${id}/file`, {
    headers: { ...headers, "Content-Type": "application/octet-stream" },
    data: readFileSync(file),
  });
  expect(put.status()).toBe(204);
  const flavor = await request.post("/compute/v2.1/flavors", {
    headers,
    data: { flavor: { name: "net.tiny", vcpus: 1, ram: 256, disk: 1 } },
  });
  expect(flavor.status()).toBe(200);
});

test.afterAll(async ({ request }) => {
  // The instance goes with its QEMU process.
  const headers = { "X-Auth-Token": token };
  const list = await request.get("/compute/v2.1/servers?name=net-vm", { headers });
  for (const s of (await list.json()).servers ?? []) {
    await request.delete(`/compute/v2.1/servers/${s.id}`, { headers });
  }
  if (work) rmSync(work, { recursive: true, force: true });
});

test("the seed's network is built in the portal and drawn in Network Topology", async ({ page }) => {
  test.setTimeout(180_000);
  const errors = consoleErrors(page);
  await login(page);
  await loggedIn(page);

  // Admin → Networks: the flat external network on extnet, with a pool and no DHCP.
  await page.goto("/admin/networks");
  await hydrated(page);
  await page.click("#create-network");
  const form = page.locator("#create-network-form");
  await form.locator("input[name=network_name]").fill("public");
  await form.locator("input[name=external]").check();
  await form.locator("select[name=network_type]").selectOption("flat");
  await form.locator("input[name=physical_network]").fill("extnet");
  await form.locator("#create-network-next").click();
  await form.locator("input[name=subnet_name]").fill("public-subnet");
  await form.locator("input[name=cidr]").fill("203.0.113.0/24");
  await form.locator("input[name=gateway_ip]").fill("203.0.113.1");
  await form.locator("#create-network-next").click();
  await form.locator("input[name=enable_dhcp]").uncheck();
  await form.locator("textarea[name=pools]").fill("203.0.113.100,203.0.113.200");
  await form.locator("#create-network-submit").click();
  const pub = page.locator("#networks tr[data-name=public]");
  await expect(pub).toContainText("203.0.113.0/24");
  await expect(pub).toContainText("flat");
  await expect(pub).toContainText("extnet");

  // A subnet that is not a CIDR is an inline error, and nothing is left half-made.
  await page.goto("/project/networks");
  await hydrated(page);
  await page.click("#create-network");
  await form.locator("input[name=network_name]").fill("broken-net");
  await form.locator("#create-network-next").click();
  await form.locator("input[name=cidr]").fill("10.0.0.0/33");
  await form.locator("#create-network-next").click();
  await form.locator("#create-network-submit").click();
  await expect(form.locator(".alert-error")).toBeVisible();
  await page.locator(".modal .close").first().click();
  await page.goto("/project/networks");
  await hydrated(page);
  await expect(page.locator("#networks tr[data-name=broken-net]")).toHaveCount(0);

  // Project → Networks: demo-net with 10.0.0.0/24 and a DNS server.
  await page.click("#create-network");
  await form.locator("input[name=network_name]").fill("demo-net");
  await form.locator("#create-network-next").click();
  await form.locator("input[name=subnet_name]").fill("demo-subnet");
  await form.locator("input[name=cidr]").fill("10.0.0.0/24");
  await form.locator("#create-network-next").click();
  await form.locator("textarea[name=dns]").fill("8.8.8.8");
  await form.locator("#create-network-submit").click();
  await expect(page.locator("#networks tr[data-name=demo-net]")).toContainText("10.0.0.0/24");

  // Routers: the gateway on public, an interface on demo-subnet.
  await page.goto("/project/routers");
  await hydrated(page);
  await page.click("#create-router");
  const rform = page.locator("#create-router-form");
  await rform.locator("input[name=name]").fill("demo-router");
  await rform.locator("select[name=external_network]").selectOption({ label: "public" });
  await rform.locator("button[type=submit]").click();
  const router = page.locator("#routers tr[data-name=demo-router]");
  await expect(router.locator(".gateway")).toContainText("public (203.0.113.");
  await router.locator(".add-interface").click();
  await page.locator("#add-interface-form select[name=subnet]").selectOption({ label: "demo-net: 10.0.0.0/24 (demo-subnet)" });
  await page.locator("#add-interface-form button[type=submit]").click();
  await expect(router.locator(".interfaces")).toContainText("demo-net 10.0.0.1");

  // The Networks table filters on the server, and counts what it shows.
  await page.goto("/project/networks?q=demo");
  await hydrated(page);
  await expect(page.locator("#networks tr[data-name=demo-net]")).toBeVisible();
  await expect(page.locator("#networks tr[data-name=public]")).toHaveCount(0);
  await expect(page.locator(".pager .count")).toHaveText("Displaying 1 item");
  // A delete the service refuses (the router still has an interface on demo-net) says why
  // in the confirmation dialog, which stays open; nothing is deleted.
  await page.locator("#networks tr[data-name=demo-net] .delete-row").click();
  await page.locator(".modal .confirm").click();
  await expect(page.locator(".modal .alert-error")).toBeVisible();
  await expect(page.locator(".modal .confirm")).toBeVisible();
  await page.locator(".modal .close").click();
  await expect(page.locator("#networks tr[data-name=demo-net]")).toBeVisible();

  // Security Groups: SSH and All ICMP in default, from the templates.
  await page.goto("/project/security_groups");
  await hydrated(page);
  await page.locator("#security-groups tr[data-name=default] .manage-rules").click();
  for (const template of ["ssh", "all_icmp"]) {
    await page.click("#add-rule");
    await page.locator("#add-rule-form select[name=template]").selectOption(template);
    await page.locator("#add-rule-form button[type=submit]").click();
    await expect(page.locator("#add-rule-form")).toHaveCount(0);
  }
  await expect(page.locator("#rules")).toContainText("22");
  await expect(page.locator("#rules")).toContainText("icmp");
  // The same rule twice is refused inline.
  await page.click("#add-rule");
  await page.locator("#add-rule-form select[name=template]").selectOption("ssh");
  await page.locator("#add-rule-form button[type=submit]").click();
  await expect(page.locator("#add-rule-form .alert-error")).toContainText("already exists");

  // Launch on demo-net from the wizard's Networks step.
  await page.goto("/project/instances");
  await hydrated(page);
  await page.click("#launch-instance");
  const wizard = page.locator("#launch-wizard");
  await wizard.locator("#instance-name").fill("net-vm");
  await wizard.locator("#wizard-next").click();
  await wizard.locator("#image-picker tr[data-name=net-guest] input[type=radio]").check();
  await wizard.locator("#wizard-next").click();
  await wizard.locator("#flavor-picker tr[data-name='net.tiny'] input[type=radio]").check();
  await wizard.locator("#wizard-next").click();
  await wizard.locator("#wizard-networks label", { hasText: "demo-net" }).locator("input").check();
  await expect(wizard.locator("#wizard-networks")).toContainText("eth0");
  await wizard.locator("#wizard-next").click();
  await expect(wizard.locator("#wizard-security-groups label[data-group=default] input")).toBeChecked();
  await wizard.locator("#wizard-launch").click();
  const vm = page.locator("#instances tr[data-name=net-vm]");
  await expect(vm).toHaveAttribute("data-status", "ACTIVE", { timeout: 90_000 });
  await expect(vm).toContainText("10.0.0.");

  // Floating IPs: allocate from public, associate with net-vm.
  await page.goto("/project/floating_ips");
  await hydrated(page);
  await page.click("#allocate-ip");
  await page.locator("#allocate-ip-form button[type=submit]").click();
  const fip = page.locator("#floating-ips tbody tr").first();
  await expect(fip.locator(".address")).toContainText("203.0.113.");
  await fip.locator(".associate").click();
  await page.locator("#associate-form select[name=port]").selectOption({ index: 1 });
  await page.locator("#associate-form button[type=submit]").click();
  await expect(fip.locator(".mapped")).toContainText("net-vm 10.0.0.");

  // Network Topology draws the external network, demo-net, the router joining them and
  // the instance on demo-net.
  await page.goto("/project/network_topology");
  await hydrated(page);
  const svg = page.locator("svg#topology");
  await expect(svg.locator("g[data-kind=network][data-name=public]")).toBeVisible();
  await expect(svg.locator("g[data-kind=network][data-name=demo-net]")).toBeVisible();
  const pubId = await svg.locator("g[data-kind=network][data-name=public]").getAttribute("data-id");
  const netId = await svg.locator("g[data-kind=network][data-name=demo-net]").getAttribute("data-id");
  const routerNode = svg.locator("g[data-kind=router][data-name=demo-router]");
  await expect(routerNode).toHaveAttribute("data-networks", `${pubId} ${netId}`);
  await expect(svg.locator("g[data-kind=instance][data-name=net-vm]")).toHaveAttribute("data-networks", netId!);
  await expect(svg.locator("g[data-kind=instance][data-name=net-vm]")).toHaveClass(/status-active/);

  // Create Router opens in place, and the graph draws the new router.
  await page.click("#topology-create-router");
  await page.locator("#create-router-form input[name=name]").fill("topo-router");
  await page.locator("#create-router-form button[type=submit]").click();
  await expect(page.locator("#create-router-form")).toBeHidden();
  await expect(svg.locator("g[data-kind=router][data-name=topo-router]")).toBeVisible();

  // A network made elsewhere (the API) is pushed to the open page: no reload.
  const headers = { "X-Auth-Token": token };
  const made = await page.request.post("/networking/v2.0/networks", { headers, data: { network: { name: "pushed-net" } } });
  expect(made.status()).toBe(201);
  const pushedId = (await made.json()).network.id;
  const sub = await page.request.post("/networking/v2.0/subnets", {
    headers,
    data: { subnet: { network_id: pushedId, cidr: "10.9.0.0/24", ip_version: 4, name: "pushed-subnet" } },
  });
  expect(sub.status()).toBe(201);
  await expect(svg.locator("g[data-kind=network][data-name=pushed-net]")).toBeVisible();
  await expect(svg.locator("g[data-kind=network][data-name=pushed-net] .net-cidr")).toHaveText("10.9.0.0/24");

  // Attach Interface on net-vm: by network, with a fixed address; the row shows it and the
  // graph links the instance to both networks. Detach Interface takes it off again.
  await page.goto("/project/instances");
  await hydrated(page);
  await vm.locator(".more-actions").click();
  await vm.locator("button[data-action=attach_interface]").click();
  const attach = page.locator("#attach-interface-form");
  await attach.locator("select[name=network]").selectOption({ label: "pushed-net (10.9.0.0/24)" });
  await attach.locator("input[name=fixed_ip]").fill("10.9.0.99");
  await attach.locator("button[type=submit]").click();
  await expect(attach).toBeHidden();
  await expect(vm).toContainText("10.9.0.99");
  await page.goto("/project/network_topology");
  await hydrated(page);
  await expect(svg.locator("g[data-kind=instance][data-name=net-vm]")).toHaveAttribute("data-networks", new RegExp(pushedId));
  await page.goto("/project/instances");
  await hydrated(page);
  await vm.locator(".more-actions").click();
  await vm.locator("button[data-action=detach_interface]").click();
  const detach = page.locator("#detach-interface-form");
  const choice = await detach.locator("select[name=port] option", { hasText: "pushed-net: 10.9.0.99" }).getAttribute("value");
  await detach.locator("select[name=port]").selectOption(choice!);
  await detach.locator("button[type=submit]").click();
  await expect(detach).toBeHidden();
  await expect(vm).not.toContainText("10.9.0.99", { timeout: 30_000 });
  await expect(vm).toContainText("10.0.0.");

  // System Information → Network Agents.
  await page.goto("/admin/info?tab=network");
  await hydrated(page);
  await expect(page.locator("#network-agents tbody tr")).toHaveCount(3);
  await expect(page.locator("#network-agents tr[data-name='L3 agent']")).toBeVisible();

  // The 400 (the bad CIDR) and the 409 (the duplicate rule) were asked for above.
  const expected = (e: string) => e.includes("favicon") || /status of (400|409)/.test(e);
  expect(errors.filter((e) => !expected(e))).toEqual([]);
});
