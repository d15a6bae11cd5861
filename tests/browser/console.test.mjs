// The console in a real browser: Debian's Chromium driven by playwright-core
// against a real `yagura serve --demo`. Every test fails on any browser
// console error and leaves screenshots in screenshots/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const bin = process.env.YAGURA_BIN || join(here, "..", "..", "bin", "yagura");
const shots = join(here, "screenshots");
mkdirSync(shots, { recursive: true });
const data = mkdtempSync(join(tmpdir(), "yagura-ui-"));
const port = 20000 + Math.floor(Math.random() * 20000);
const base = `http://127.0.0.1:${port}`;
const password = "purple-Tractor-42";
// One user per role the tests act as.
const users = { lena: "lead", mo: "monitor", ana: "analyst", rui: "responder" };

let server, browser;

async function waitFor(check, what, seconds = 90) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    try { if (await check()) return; } catch (_) { /* not yet */ }
    if (Date.now() > deadline) throw new Error("timed out waiting for " + what);
    await new Promise((r) => setTimeout(r, 500));
  }
}

before(async () => {
  for (const [user, role] of Object.entries(users)) {
    execFileSync(bin, ["user", "create", "--data", data, "--role", role, "--password-stdin", user], { input: password + "\n" });
  }
  server = spawn(bin, ["serve", "--demo", "--data", data, "--http", `127.0.0.1:${port}`, "--syslog", "off"], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  server.stderr.on("data", (d) => { log += d; });
  server.on("exit", (code) => { if (code) console.error("yagura exited", code, log.slice(-2000)); });
  await waitFor(async () => (await fetch(base + "/readyz")).ok, "the server");
  const token = readFileSync(join(data, "demo-token"), "utf8").trim();
  // The demo's first attack stories land within a minute.
  await waitFor(async () => {
    const r = await fetch(base + "/api/v1/alerts?status=new", { headers: { Authorization: "Bearer " + token } });
    return (await r.json()).total >= 3;
  }, "demo alerts");
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
});

after(async () => {
  if (browser) await browser.close();
  if (server) server.kill("SIGTERM");
});

// session opens a page logged in as user, recording console errors.
// expected lists console errors a test provokes on purpose.
async function session(t, user, viewport = { width: 1280, height: 800 }, expected = []) {
  const ctx = await browser.newContext({ viewport });
  const page = await ctx.newPage();
  const errors = [];
  page.on("console", (m) => {
    if (m.type() === "error" && !expected.some((re) => re.test(m.text()))) errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(base + "/ui/login");
  await page.fill('input[name="user"]', user);
  await page.fill('input[name="password"]', password);
  await page.click('button[type="submit"]');
  await page.waitForURL("**/ui/");
  t.after(async () => {
    await page.screenshot({ path: join(shots, `${t.name.replace(/\W+/g, "-")}-${user}.png`) });
    await ctx.close();
    assert.deepEqual(errors, [], "browser console errors");
  });
  return page;
}

test("triage an alert to closed as false positive, with suppression", async (t) => {
  const page = await session(t, "lena");
  await page.goto(base + "/ui/alerts");
  await page.locator("table.alerts a").first().click();
  await page.waitForURL(/\/ui\/alerts\/\w+/);
  page.once("dialog", (d) => d.accept("demo scanner traffic, known"));
  await Promise.all([page.waitForEvent("load"), page.click('[data-alert-action="close_fp_suppress"]')]);
  await assert.doesNotReject(page.locator("[data-status]", { hasText: "closed (false_positive)" }).waitFor());
});

test("a case walks all six stages, the gate refusing until the evidence is there", async (t) => {
  // Chromium logs the gate's deliberate refusals (409) as console errors.
  const refusal = [/status of 409 \(Conflict\)/];
  const mo = await session(t, "mo", undefined, refusal);
  await mo.goto(base + "/ui/alerts");
  const boxes = mo.locator("input[data-select]");
  await boxes.nth(0).check();
  await boxes.nth(1).check();
  mo.once("dialog", (d) => d.accept("Browser test incident"));
  await Promise.all([mo.waitForURL(/\/ui\/cases\/\w+/), mo.click(".bulk [data-create-case]")]);
  const caseURL = mo.url();
  // The owner of each stage, in order.
  const owners = ["mo", "ana", "lena", "rui", "lena", "ana"];
  const pages = { mo };
  for (let stage = 0; stage < 6; stage++) {
    const user = owners[stage];
    const page = pages[user] || (pages[user] = await session(t, user, undefined, refusal));
    await page.goto(caseURL);
    const current = await page.locator(".stepper li.current").textContent();
    // The gate refuses while evidence is missing.
    await page.click('[data-advance-form] button[type="submit"]');
    await page.locator("[data-advance-error]", { hasText: /evidence is missing/ }).waitFor();
    // Upload a file for every missing requirement.
    const keys = await page.locator(".checklist li:has(.missing) code").allTextContents();
    assert.ok(keys.length > 0, `stage ${stage + 1} shows its missing evidence`);
    for (const key of keys) {
      await page.selectOption('[data-evidence-form] select[name="requirement"]', key);
      await page.setInputFiles('[data-evidence-form] input[type="file"]', { name: key + ".txt", mimeType: "text/plain", buffer: Buffer.from("evidence for " + key) });
      await Promise.all([page.waitForEvent("load"), page.click('[data-evidence-form] button[type="submit"]')]);
    }
    assert.equal(await page.locator(".checklist .missing").count(), 0);
    await Promise.all([page.waitForEvent("load"), page.click('[data-advance-form] button[type="submit"]')]);
    if (stage < 5) {
      assert.notEqual(await page.locator(".stepper li.current").textContent(), current, `stage ${stage + 1} completed`);
    }
  }
  const last = pages[owners[5]];
  await last.locator("[data-case-status] b", { hasText: "closed" }).first().waitFor();
  await last.screenshot({ path: join(shots, "case.png"), fullPage: true });
});

test("a hunt is refined by clicking a field value and saved", async (t) => {
  const page = await session(t, "ana");
  await page.goto(base + "/ui/hunt?from=-1h&q=" + encodeURIComponent("event.dataset:linux.auth"));
  const before = Number(await page.locator("[data-hunt-total]").textContent());
  assert.ok(before > 0, "the demo has Linux auth events");
  // Refine by the first value of the second field in the sidebar.
  const refine = page.locator("aside ul").nth(1).locator("[data-refine]").first();
  const value = (await refine.textContent()).trim();
  await Promise.all([page.waitForEvent("load"), refine.click()]);
  const q = new URL(page.url()).searchParams.get("q");
  assert.ok(q.startsWith("event.dataset:linux.auth ") && q.includes(`:"${value}"`), `refined query ${q}`);
  assert.equal(await page.locator('input[name="q"]').inputValue(), q);
  assert.ok(Number(await page.locator("[data-hunt-total]").textContent()) > 0, "the refined hunt finds events");
  page.once("dialog", (d) => d.accept("browser test hunt"));
  await page.click("[data-save-hunt]");
  await page.locator("#toast", { hasText: "browser test hunt" }).waitFor();
});

test("the console switches to Japanese", async (t) => {
  const page = await session(t, "lena");
  await Promise.all([page.waitForEvent("load"), page.click("header a.lang")]);
  await page.locator("h1", { hasText: "概要" }).waitFor();
  await page.locator("nav", { hasText: "アラート" }).waitFor();
  await page.goto(base + "/ui/cases");
  await page.locator("h1", { hasText: "ケース" }).waitFor();
  await page.goto(base + "/ui/");
  await page.screenshot({ path: join(shots, "overview-ja.png") });
});

test("the overview at 1920 wide", async (t) => {
  const page = await session(t, "lena", { width: 1920, height: 1080 });
  await page.goto(base + "/ui/");
  await page.locator("h1", { hasText: "Overview" }).waitFor();
  await page.screenshot({ path: join(shots, "overview.png") });
});
