// e2e.mjs - the console in a real browser: Playwright (playwright-core)
// driving Debian's Chromium, headless, against a running posternd that
// test_console_browser.py started and sent traffic through.
//
// Input (environment): BASE (http://127.0.0.1:PORT), USER, PASSWORD, SHOTS
// (a directory for the screenshots) and EXPECT, a JSON object:
//   {"accepted": n, "rejected": n, "quarantined": n, "rcpt": "...",
//    "source": "app", "quarantine_id": "..."}
// Output: one JSON object on stdout with what the pages showed; a step that
// fails throws, and the process exits non-zero with the reason.
import { chromium } from "playwright-core";

const env = process.env;
const expect = JSON.parse(env.EXPECT);
const out = {};
const a11yProblems = [];
// every control has a name (a label, text or aria-label), every picture a
// name or aria-hidden, every page an h1 and the document a language
async function a11y(page, name) {
  const bad = await page.evaluate(() => {
    const out = [];
    for (const el of document.querySelectorAll("input, select, textarea")) {
      if (el.type !== "hidden" && !(el.labels && el.labels.length) && !el.getAttribute("aria-label"))
        out.push(`unlabelled ${el.tagName.toLowerCase()} ${el.id || el.name}`);
    }
    for (const el of document.querySelectorAll("button, a[href]"))
      if (!el.textContent.trim() && !el.getAttribute("aria-label")) out.push(`nameless ${el.tagName.toLowerCase()}`);
    for (const el of document.querySelectorAll("main svg"))
      if (el.getAttribute("aria-hidden") !== "true" && !el.getAttribute("aria-label")) out.push("unnamed svg");
    if (!document.querySelector("main h1")) out.push("no h1");
    if (!document.documentElement.lang) out.push("no lang");
    return out;
  });
  for (const b of bad) a11yProblems.push(`${name}: ${b}`);
}
const shot = async (page, name) => {
  await a11y(page, name);
  await page.screenshot({ path: `${env.SHOTS}/${name}.png`, fullPage: true });
};

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}

const browser = await chromium.launch({
  executablePath: env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
try {
  const context = await browser.newContext({ viewport: { width: 1366, height: 800 } });
  const page = await context.newPage();
  const problems = [];
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) problems.push(m.text());
  });
  // every answer an error, with its address (the page itself never causes one)
  page.on("response", (r) => { if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`); });
  page.on("pageerror", (e) => problems.push(String(e)));
  page.on("dialog", (d) => d.accept());

  // log in, with the keyboard only
  await page.goto(`${env.BASE}/console/`);
  await page.getByLabel("Administrator").fill(env.USER);
  await page.getByLabel("Password").fill(env.PASSWORD);
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: "Overview" }).waitFor();
  await shot(page, "01-overview");

  // the counts are what the test sent
  const count = async (id) => Number((await page.locator(`#${id}`).textContent()).trim());
  out.accepted = await count("count-accepted");
  out.rejected = await count("count-rejected");
  out.quarantined = await count("count-quarantined");
  check(out.accepted === expect.accepted, `accepted ${out.accepted} != ${expect.accepted}`);
  check(out.rejected === expect.rejected, `rejected ${out.rejected} != ${expect.rejected}`);
  check(out.quarantined === expect.quarantined,
        `quarantined ${out.quarantined} != ${expect.quarantined}`);
  out.chart_bars = await page.locator("svg.chart rect").count();
  check(out.chart_bars > 0, "the chart has bars");

  // find a message by recipient, and its whole life
  await page.getByRole("link", { name: "Messages" }).click();
  await page.getByLabel("Recipient").fill(expect.rcpt);
  await page.getByRole("button", { name: "Search" }).click();
  await page.locator("#result-count").waitFor();
  await shot(page, "02-messages");
  const link = page.locator("table a[href^='#/messages/']").first();
  out.message_id = (await link.textContent()).trim();
  await link.click();
  await page.locator("#timeline li").first().waitFor();
  const steps = await page.locator("#timeline li strong").allTextContents();
  out.timeline = steps;
  check(steps.includes("accepted") && steps.includes("delivered"), `timeline ${steps}`);
  await shot(page, "03-message-timeline");

  // release the quarantined message
  await page.getByRole("link", { name: "Quarantine" }).click();
  await page.getByRole("heading", { name: "Quarantine" }).waitFor();
  await shot(page, "04-quarantine");
  await page.locator(`a[href='#/quarantine/${expect.quarantine_id}']`).click();
  await page.locator("#preview").waitFor();
  await shot(page, "05-quarantined-message");
  await page.locator(`button[data-release='${expect.quarantine_id}']`).click();
  await page.locator("#toast", { hasText: "released as" }).waitFor();
  out.released = true;

  // the kill switch
  await page.getByRole("link", { name: "Sources" }).click();
  await page.getByRole("heading", { name: "Sources" }).waitFor();
  await shot(page, "06-sources");
  await page.getByRole("link", { name: expect.source, exact: true }).click();
  await page.locator("#source-status").waitFor();
  await shot(page, "07-source");
  await page.getByLabel("When suspended").selectOption("hold");
  await page.locator("#suspend").click();
  await page.locator("#source-status", { hasText: "suspended" }).waitFor();
  out.suspended = true;
  await shot(page, "08-source-suspended");

  // the queue by destination
  await page.getByRole("link", { name: "Queue", exact: true }).click();
  await page.getByRole("heading", { name: "Queue" }).waitFor();
  await page.locator(`a[href='#/queue?dest=${expect.waiting_for}']`).click();
  await page.getByRole("heading", { name: `Messages for ${expect.waiting_for}` }).waitFor();
  out.waiting = await page.locator("tbody tr").nth(1).locator("td").nth(3).textContent();
  await shot(page, "09-queue");

  for (const [name, file] of [["Suppression", "10-suppression"],
                              ["Domains", "11-domains"]]) {
    await page.getByRole("link", { name, exact: true }).click();
    await page.getByRole("heading", { name }).waitFor();
    await shot(page, file);
  }
  // on a fresh load, the skip link is the keyboard's first stop
  await page.reload();
  await page.getByRole("heading", { name: "Domains" }).waitFor();
  await page.keyboard.press("Tab");
  out.first_tab = await page.evaluate(() => document.activeElement.textContent.trim());
  check(out.first_tab === "Skip to content", `first Tab reaches ${out.first_tab}`);
  out.a11y = a11yProblems;
  check(a11yProblems.length === 0, `accessibility: ${a11yProblems.join(" | ")}`);
  out.problems = problems;
  check(problems.length === 0, `browser errors: ${problems.join(" | ")}`);
  process.stdout.write(JSON.stringify(out) + "\n");
} finally {
  await browser.close();
}
