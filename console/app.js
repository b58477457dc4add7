/*
 * app.js - the Postern console: one page, no framework, talking only to the
 * admin API (/admin/v1) with the session cookie and its CSRF token. Every
 * value from the server is put in the page as text (textContent), never as
 * markup. Pages: overview, sources (and one source), messages (and one
 * message's timeline), queue, quarantine, suppression, domains.
 */
"use strict";

const state = { user: null, csrf: null, timer: null, navigated: false };
const OUTCOMES = ["delivered", "deferred", "bounced", "rejected", "quarantined", "suppressed"];
const main = document.getElementById("main");

/* -- helpers -------------------------------------------------------------- */

function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "text") el.textContent = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const kid of kids.flat()) {
    if (kid === null || kid === undefined || kid === false) continue;
    el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return el;
}

const SVG = "http://www.w3.org/2000/svg";
function s(tag, attrs) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  return el;
}

function toast(text) {
  const t = document.getElementById("toast");
  t.textContent = text;
  t.classList.add("show");
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => t.classList.remove("show"), 4000);
}

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error && body.error.message) || `HTTP ${status}`);
    this.status = status;
    this.code = body && body.error && body.error.code;
  }
}

async function api(method, path, body, poll) {
  const headers = { "Accept": "application/json" };
  if (poll) headers["X-Console-Poll"] = "1"; /* a timed refresh: not activity */
  if (method !== "GET") headers["X-CSRF-Token"] = state.csrf || "";
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(path, {
    method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let out = null;
  try { out = await r.json(); } catch (e) { out = null; }
  if (r.status === 401 && !path.startsWith("/console/api/")) {
    state.user = null;
    showLogin("Your session has ended; log in again.");
    throw new ApiError(401, out);
  }
  if (!r.ok) throw new ApiError(r.status, out);
  return out;
}

function qs(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== "" && v !== null && v !== undefined) p.set(k, v);
  const t = p.toString();
  return t ? "?" + t : "";
}

function when(t) {
  if (!t) return "";
  const d = new Date(t);
  return isNaN(d) ? String(t) : d.toLocaleString();
}

function table(headers, rows, caption) {
  return h("table", {},
    caption ? h("caption", { class: "muted", text: caption }) : null,
    h("thead", {}, h("tr", {}, headers.map((x) => h("th", { scope: "col", class: x.num ? "num" : null, text: x.label || x })))),
    h("tbody", {}, rows.length ? rows : [h("tr", {}, h("td", { colspan: headers.length, class: "muted", text: "Nothing here." }))]));
}

function confirmThen(question, fn) {
  return async () => {
    if (!window.confirm(question)) return;
    try { await fn(); } catch (e) { toast(e.message); }
  };
}

function page(title, ...kids) {
  main.replaceChildren(h("h1", { text: title }), ...kids.filter((k) => k !== null && k !== undefined));
  document.title = `${title} - Postern console`;
  /* after a navigation the new content takes the focus (a screen reader reads
   * it); on a fresh load the page starts at its top, at the skip link */
  if (state.navigated) main.focus();
}

function loading(title) {
  page(title, h("p", { class: "muted", text: "Loading..." }));
}

/* -- charts: stacked bars in SVG ------------------------------------------------ */

function stackedChart(series, keys, label) {
  const n = series.buckets || 0;
  const W = 960, H = 200, pad = 4;
  const totals = new Array(n).fill(0);
  for (const k of keys) (series.series[k] || []).forEach((v, i) => { totals[i] += v; });
  const max = Math.max(1, ...totals);
  const svg = s("svg", { class: "chart", viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: "none", role: "img", "aria-label": label });
  const bw = (W - 2 * pad) / Math.max(1, n);
  const base = new Array(n).fill(0);
  for (const k of keys) {
    const vals = series.series[k] || [];
    vals.forEach((v, i) => {
      if (!v) return;
      const hgt = (v / max) * (H - 2 * pad);
      const y = H - pad - base[i] - hgt;
      const r = s("rect", { x: pad + i * bw, y, width: Math.max(bw, 1), height: hgt, class: `k-${k}`, fill: "currentColor" });
      r.append(s("title", {}));
      r.firstChild.textContent = `${k}: ${v}`;
      svg.append(r);
      base[i] += hgt;
    });
  }
  const legend = h("div", { class: "legend" }, keys.map((k) => h("span", { class: `k-${k}`, text: `${k} ${sum(series.series[k])}` })));
  return h("div", {}, svg, legend);
}

/* a horizontal bar for a table cell: its length is n out of max */
function bar(n, max, cls) {
  const svg = s("svg", { class: "bar", viewBox: "0 0 100 10", preserveAspectRatio: "none", "aria-hidden": "true" });
  svg.append(s("rect", { x: 0, y: 0, height: 10, width: Math.max(1, (100 * n) / Math.max(1, max)), class: cls, fill: "currentColor" }));
  return svg;
}

function sum(a) { return (a || []).reduce((x, y) => x + y, 0); }

function card(n, label, id) {
  return h("div", { class: "card" }, h("div", { class: "n", id, text: n }), h("div", { class: "l", text: label }));
}

/* -- login ------------------------------------------------------------------- */

function showLogin(message) {
  stopTimer();
  document.getElementById("nav").hidden = true;
  document.getElementById("logout").hidden = true;
  document.getElementById("who").textContent = "";
  const err = h("p", { class: "error", role: "alert", text: message || "" });
  const user = h("input", { id: "login-user", name: "user", autocomplete: "username", required: true });
  const pass = h("input", { id: "login-password", name: "password", type: "password", autocomplete: "current-password", required: true });
  const form = h("form", { class: "login", "aria-labelledby": "login-title", onsubmit: async (ev) => {
    ev.preventDefault();
    err.textContent = "";
    try {
      const out = await api("POST", "/console/api/login", { user: user.value, password: pass.value });
      pass.value = "";
      loggedIn(out);
    } catch (e) {
      err.textContent = e.status === 429 ? "Too many failed logins: wait and try again." :
        e.status === 401 ? "Wrong name or password." : e.message;
    }
  } },
  h("h1", { id: "login-title", text: "Log in to Postern" }),
  h("label", { for: "login-user" }, "Administrator", user),
  h("label", { for: "login-password" }, "Password", pass),
  err,
  h("button", { type: "submit", id: "login-submit", text: "Log in" }));
  main.replaceChildren(form);
  document.title = "Log in - Postern console";
  user.focus();
}

function loggedIn(out) {
  state.user = out.user;
  state.csrf = out.csrf;
  document.getElementById("nav").hidden = false;
  document.getElementById("logout").hidden = false;
  document.getElementById("who").textContent = out.user;
  route();
}

document.getElementById("logout").addEventListener("click", async () => {
  try { await api("POST", "/console/api/logout"); } catch (e) { /* gone already */ }
  state.user = state.csrf = null;
  showLogin("Logged out.");
});

/* -- overview ------------------------------------------------------------------ */

function stopTimer() {
  if (state.timer) clearInterval(state.timer);
  state.timer = null;
}

async function overview() {
  loading("Overview");
  const draw = async (poll) => {
    const [series, stats, status, deliveries] = await Promise.all([
      api("GET", "/admin/v1/stats/series?since=24h&step=1m", undefined, poll),
      api("GET", "/admin/v1/stats?since=24h", undefined, poll),
      api("GET", "/admin/v1/status", undefined, poll),
      api("GET", "/admin/v1/events?status=delivered&since=24h&limit=1000", undefined, poll),
    ]);
    const t = stats.total || {};
    const tls = deliveries.events.filter((e) => e.detail && e.detail.tls).length;
    const share = deliveries.events.length ? Math.round((100 * tls) / deliveries.events.length) + "%" : "-";
    const sources = Object.entries(stats.sources || {}).sort((a, b) => (b[1].accepted || 0) - (a[1].accepted || 0));
    const reasons = {};
    for (const [, v] of sources) for (const [r, n] of Object.entries(v.rejected_by_reason || {})) reasons[r] = (reasons[r] || 0) + n;
    const top = Object.entries(reasons).sort((a, b) => b[1] - a[1]);
    page("Overview",
      h("div", { class: "cards" },
        card(t.accepted || 0, "accepted, 24 h", "count-accepted"),
        card(t.delivered || 0, "delivered", "count-delivered"),
        card(t.deferred || 0, "deferred", "count-deferred"),
        card(t.bounced || 0, "bounced", "count-bounced"),
        card(t.rejected || 0, "rejected", "count-rejected"),
        card(t.quarantined || 0, "quarantined", "count-quarantined"),
        card(t.suppressed || 0, "suppressed", "count-suppressed"),
        card(status.queue_length, "in the queue", "count-queue"),
        card(share, "of deliveries over TLS", "tls-share")),
      h("h2", { text: "Messages per minute, last 24 hours" }),
      stackedChart(series, OUTCOMES, "Messages per minute by outcome over the last 24 hours"),
      h("div", { class: "grid2" },
        h("section", { "aria-labelledby": "top-sources" }, h("h2", { id: "top-sources", text: "Top sources" }),
          table(["Source", { label: "Accepted", num: 1 }, "", { label: "Rejected", num: 1 }],
            sources.slice(0, 10).map(([name, v]) => h("tr", {},
              h("td", {}, h("a", { href: `#/sources/${encodeURIComponent(name)}`, text: name })),
              h("td", { class: "num", text: v.accepted || 0 }),
              h("td", { class: "barcell" }, bar(v.accepted || 0, (sources[0][1].accepted || 0), "k-accepted")),
              h("td", { class: "num", text: v.rejected || 0 }))))),
        h("section", { "aria-labelledby": "top-reasons" }, h("h2", { id: "top-reasons", text: "Top rejection reasons" }),
          table(["Reason", { label: "Messages", num: 1 }, ""],
            top.slice(0, 10).map(([r, n]) => h("tr", {}, h("td", { text: r }), h("td", { class: "num", text: n }),
              h("td", { class: "barcell" }, bar(n, top[0][1], "k-rejected"))))))),
      h("p", { class: "muted", text: `Updated ${new Date().toLocaleTimeString()}; refreshes every 10 seconds.` }));
  };
  await draw();
  stopTimer();
  state.timer = setInterval(() => { if (location.hash === "#/" || location.hash === "") draw(true).catch(() => {}); }, 10000);
}

/* -- sources ------------------------------------------------------------------- */

async function sourcesPage() {
  loading("Sources");
  const [list, stats] = await Promise.all([
    api("GET", "/admin/v1/sources"),
    api("GET", `/admin/v1/stats?since=${new Date().toISOString().slice(0, 10)}`),
  ]);
  const per = stats.sources || {};
  page("Sources", table(["Name", "Kind", "Sign-in", "Status", { label: "Accepted today", num: 1 }, { label: "Rejected today", num: 1 }],
    list.sources.map((src) => h("tr", {},
      h("td", {}, h("a", { href: `#/sources/${encodeURIComponent(src.name)}`, text: src.name })),
      h("td", { text: src.kind }), h("td", { text: src.auth === "ip" ? "address" : "password / API key" }),
      h("td", { class: `status-${src.status}`, text: src.status }),
      h("td", { class: "num", text: (per[src.name] || {}).accepted || 0 }),
      h("td", { class: "num", text: (per[src.name] || {}).rejected || 0 })))));
}

async function sourcePage(name) {
  loading(`Source ${name}`);
  const enc = encodeURIComponent(name);
  const [{ source: src }, series, events] = await Promise.all([
    api("GET", `/admin/v1/sources/${enc}`),
    api("GET", `/admin/v1/stats/series?since=24h&step=10m&source=${enc}`),
    api("GET", `/admin/v1/events?source=${enc}&limit=20`),
  ]);
  const reload = () => sourcePage(name);
  const mode = h("select", { id: "suspend-mode", name: "queued" },
    h("option", { value: "hold", text: "hold its queued mail" }), h("option", { value: "drop", text: "drop its queued mail" }));
  const kill = src.status === "active"
    ? h("div", { class: "actions" },
        h("label", { for: "suspend-mode" }, "When suspended", mode),
        h("button", { class: "danger", id: "suspend", type: "button", onclick: confirmThen(`Suspend ${name}? It can send nothing until resumed.`, async () => {
          await api("POST", `/admin/v1/sources/${enc}/suspend`, { queued: mode.value });
          toast(`${name} suspended`);
          reload();
        }), text: "Suspend (kill switch)" }))
    : h("div", { class: "actions" }, h("button", { id: "resume", type: "button", onclick: confirmThen(`Resume ${name}?`, async () => {
        await api("POST", `/admin/v1/sources/${enc}/resume`);
        toast(`${name} resumed`);
        reload();
      }), text: "Resume" }));
  const lim = src.limits || {};
  page(`Source ${name}`,
    h("p", {}, "Status: ", h("strong", { class: `status-${src.status}`, id: "source-status", text: src.status }),
      ` · kind ${src.kind} · ${src.auth === "ip" ? "signs in by address" : "signs in with a password or API key"}`),
    kill,
    h("h2", { text: "Volume, last 24 hours" }),
    stackedChart(series, ["accepted", ...OUTCOMES], `Messages of ${name} per 10 minutes`),
    h("div", { class: "grid2" },
      h("section", {}, h("h2", { text: "Identities" }),
        table(["Action", "Envelope sender", "From:"], (src.identities || []).map((i) => h("tr", {}, h("td", { text: i.action }), h("td", { text: i.envelope }), h("td", { text: i.from }))))),
      h("section", {}, h("h2", { text: "Addresses allowed" }),
        (src.networks || []).length ? table(["Network"], src.networks.map((n) => h("tr", {}, h("td", { text: n }))))
          : h("p", { text: "Any address (the credentials decide)." }))),
    h("h2", { text: "Limits" }),
    table(["Per minute", "Per hour", "Per day", "Recipients", "Size", "Connections"],
      [h("tr", {}, ["per_minute", "per_hour", "per_day", "max_recipients", "max_size", "max_connections"].map((k) => h("td", { text: lim[k] === null || lim[k] === undefined ? "none" : lim[k] })))]),
    h("h2", { text: "Credentials" }),
    table(["Name", "Kind", "Created", "Last used", "Expires", "Actions"], (src.credentials || []).map((c) => h("tr", {},
      h("td", { text: c.name }), h("td", { text: c.kind }), h("td", { text: when(c.created_at) }),
      h("td", { text: when(c.last_used_at) || "never" }), h("td", { text: when(c.expires_at) || "never" }),
      h("td", { class: "actions" },
        h("button", { class: "secondary", type: "button", onclick: confirmThen(`Rotate ${c.name}? A new secret is shown once.`, async () => {
          const out = await api("POST", `/admin/v1/sources/${enc}/credentials/${encodeURIComponent(c.name)}/rotate`, {});
          window.alert(`New secret for ${c.name} (shown once):\n${out.secret}`);
          reload();
        }), text: "Rotate" }),
        h("button", { class: "danger", type: "button", onclick: confirmThen(`Revoke ${c.name}? Clients using it stop working.`, async () => {
          await api("DELETE", `/admin/v1/sources/${enc}/credentials/${encodeURIComponent(c.name)}`);
          reload();
        }), text: "Revoke" }))))),
    h("h2", { text: "Latest events" }),
    eventsTable(events.events));
}

function eventsTable(events) {
  return table(["Time", "Event", "Message", "Sender", "Recipient", "Status", "Detail"], events.map((e) => h("tr", {},
    h("td", { text: when(e.time) }), h("td", { text: e.type }),
    h("td", {}, e.msg ? h("a", { href: `#/messages/${e.msg}`, text: e.msg }) : ""),
    h("td", { text: e.sender }), h("td", { text: e.rcpt }), h("td", { text: e.dsn }),
    h("td", { text: detailText(e) }))));
}

function detailText(e) {
  const d = e.detail || {};
  const parts = [];
  if (e.reason) parts.push(e.reason);
  if (d.relay) parts.push(`relay ${d.relay}`);
  if (d.tls) parts.push(`TLS ${d.tls}${d.cipher ? " " + d.cipher : ""}`);
  if (d.reply) parts.push(d.reply);
  if (d.reason && d.reason !== e.reason) parts.push(d.reason);
  if (d.verdict) parts.push(typeof d.verdict === "string" ? d.verdict : JSON.stringify(d.verdict));
  return parts.join(" · ");
}

/* -- messages ------------------------------------------------------------------ */

async function messagesPage(params) {
  const f = Object.fromEntries(new URLSearchParams(params || ""));
  const field = (name, label, type) => h("label", { for: `q-${name}` }, label,
    h("input", { id: `q-${name}`, name, type: type || "text", value: f[name] || "" }));
  const form = h("form", { class: "inline", role: "search", onsubmit: (ev) => {
    ev.preventDefault();
    const data = Object.fromEntries(new FormData(form).entries());
    location.hash = "#/messages" + qs(data);
  } },
  field("rcpt", "Recipient"), field("from", "Sender"), field("source", "Source"),
  h("label", { for: "q-status" }, "Event", h("select", { id: "q-status", name: "status" },
    ["", "accepted", "delivered", "deferred", "bounced", "rejected", "quarantined", "suppressed"].map((v) =>
      h("option", { value: v, selected: f.status === v, text: v || "any" })))),
  field("since", "Since (e.g. 24h)"), field("until", "Until"), field("id", "Message id"),
  h("button", { type: "submit", id: "search", text: "Search" }));
  page("Messages", form, h("p", { class: "muted", text: "Searching..." }));
  const out = await api("GET", "/admin/v1/events" + qs({ ...f, limit: 200 }));
  main.replaceChildren(main.firstChild, form, h("p", { id: "result-count", text: `${out.events.length} events` }), eventsTable(out.events));
}

async function messagePage(id) {
  loading(`Message ${id}`);
  const out = await api("GET", `/admin/v1/events?id=${encodeURIComponent(id)}&limit=500`);
  const evs = out.events.slice().reverse();
  const first = evs[0] || {};
  page(`Message ${id}`,
    h("p", {}, `Source ${first.source || "?"} · sender ${first.sender || "?"}`),
    h("ol", { class: "timeline", id: "timeline" }, evs.map((e) => h("li", {},
      h("div", {}, h("strong", { text: e.type }), e.rcpt ? ` ${e.rcpt}` : "", e.dsn ? ` (${e.dsn})` : ""),
      h("div", { class: "t", text: when(e.time) }),
      h("div", { text: detailText(e) })))),
    evs.length ? null : h("p", { class: "muted", text: "No events for this id." }));
}

/* -- queue ----------------------------------------------------------------------- */

async function queuePage(params) {
  loading("Queue");
  const f = Object.fromEntries(new URLSearchParams(params || ""));
  const out = await api("GET", "/admin/v1/queue?limit=500&destinations=1");
  const byDest = {};
  for (const m of out.messages) for (const d of (m.destinations || [])) {
    const b = (byDest[d] = byDest[d] || { messages: 0, held: 0, deferred: 0, reply: "" });
    b.messages++;
    if (m.state === "held") b.held++;
    if (m.state === "deferred") b.deferred++;
    b.reply = b.reply || m.last_reply;
  }
  const shown = f.dest ? out.messages.filter((m) => (m.destinations || []).includes(f.dest)) : out.messages;
  const act = (id, verb) => confirmThen(`${verb} ${id}?`, async () => {
    if (verb === "delete") await api("DELETE", `/admin/v1/queue/${id}`);
    else await api("POST", `/admin/v1/queue/${id}/${verb}`);
    queuePage(params);
  });
  page("Queue",
    h("div", { class: "actions" }, h("button", { type: "button", id: "flush", onclick: confirmThen("Retry every deferred message now?", async () => {
      const r = await api("POST", "/admin/v1/queue/flush");
      toast(`${r.flushed} messages retried`);
      queuePage(params);
    }), text: "Flush (retry all now)" })),
    h("h2", { text: "By destination" }),
    table(["Destination", { label: "Messages", num: 1 }, { label: "Deferred", num: 1 }, { label: "Held", num: 1 }, "Last reply"],
      Object.entries(byDest).sort((a, b) => b[1].messages - a[1].messages).map(([d, b]) => h("tr", {},
        h("td", {}, h("a", { href: `#/queue?dest=${encodeURIComponent(d)}`, text: d })),
        h("td", { class: "num", text: b.messages }), h("td", { class: "num", text: b.deferred }),
        h("td", { class: "num", text: b.held }), h("td", { text: b.reply })))),
    h("h2", { text: f.dest ? `Messages for ${f.dest}` : `Messages (${out.total})` }),
    f.dest ? h("p", {}, h("a", { href: "#/queue", text: "Show every destination" })) : null,
    table(["Id", "Source", "Sender", "To", { label: "Pending", num: 1 }, "State", "Attempts", "Next attempt", "Last reply", "Actions"],
      shown.map((m) => h("tr", {},
        h("td", {}, h("a", { href: `#/messages/${m.id}`, text: m.id })), h("td", { text: m.source }), h("td", { text: m.sender }),
        h("td", { text: (m.destinations || []).join(", ") }),
        h("td", { class: "num", text: `${m.pending}/${m.recipients}` }), h("td", { text: m.state }), h("td", { text: m.attempts }),
        h("td", { text: when(m.next_attempt) }), h("td", { text: m.last_reply }),
        h("td", { class: "actions" },
          m.state === "held" ? h("button", { class: "secondary", type: "button", onclick: act(m.id, "release"), text: "Release" })
            : h("button", { class: "secondary", type: "button", onclick: act(m.id, "hold"), text: "Hold" }),
          h("button", { class: "danger", type: "button", onclick: act(m.id, "delete"), text: "Delete" }))))));
}

/* -- quarantine ------------------------------------------------------------------ */

async function quarantinePage() {
  loading("Quarantine");
  const out = await api("GET", "/admin/v1/quarantine?limit=500");
  const list = out.messages || out.quarantine || [];
  page("Quarantine", table(["Id", "Arrived", "Source", "Sender", "Verdict", "Actions"], list.map((m) => h("tr", {},
    h("td", {}, h("a", { href: `#/quarantine/${m.id}`, text: m.id })), h("td", { text: when(m.arrival) }),
    h("td", { text: m.source }), h("td", { text: m.sender }),
    h("td", { text: verdictText(m.verdict) }),
    h("td", { class: "actions" }, quarantineButtons(m.id))))));
}

function verdictText(v) {
  if (!v) return "";
  if (typeof v === "string") return v;
  return [v.verdict, v.reason].filter(Boolean).join(": ");
}

function quarantineButtons(id) {
  return [
    h("button", { type: "button", class: "secondary", "data-release": id, onclick: confirmThen(`Release ${id}? It is signed and delivered.`, async () => {
      const r = await api("POST", `/admin/v1/quarantine/${id}/release`);
      toast(`released as ${r.released_as}`);
      location.hash = "#/quarantine";
      quarantinePage();
    }), text: "Release" }),
    h("button", { type: "button", class: "danger", onclick: confirmThen(`Delete ${id} for good?`, async () => {
      await api("DELETE", `/admin/v1/quarantine/${id}`);
      location.hash = "#/quarantine";
      quarantinePage();
    }), text: "Delete" }),
  ];
}

async function quarantineItem(id) {
  loading(`Quarantined ${id}`);
  const out = await api("GET", `/admin/v1/quarantine/${encodeURIComponent(id)}`);
  const m = out.message || out;
  page(`Quarantined ${id}`,
    h("p", {}, `Verdict: ${verdictText(m.verdict)}`),
    h("p", {}, `Source ${m.source} · sender ${m.sender}`),
    h("div", { class: "actions" }, quarantineButtons(id)),
    h("h2", { text: "Header" }), h("pre", { class: "preview", text: m.header || "" }),
    h("h2", { text: "Text (printable characters only)" }), h("pre", { class: "preview", id: "preview", text: m.body_preview || "" }));
}

/* -- suppression ----------------------------------------------------------------- */

async function suppressionPage(params) {
  const f = Object.fromEntries(new URLSearchParams(params || ""));
  const addr = h("input", { id: "s-address", name: "address", value: f.address || "" });
  const search = h("form", { class: "inline", role: "search", onsubmit: (ev) => {
    ev.preventDefault();
    location.hash = "#/suppression" + qs({ address: addr.value });
  } }, h("label", { for: "s-address" }, "Address starts with", addr), h("button", { type: "submit", text: "Search" }));
  const na = h("input", { id: "n-address", required: true }), ns = h("input", { id: "n-scope", value: "domain" });
  const add = h("form", { class: "inline", onsubmit: async (ev) => {
    ev.preventDefault();
    try {
      await api("POST", "/admin/v1/suppressions", { address: na.value, scope: ns.value || "domain" });
      toast(`${na.value} suppressed`);
      suppressionPage(params);
    } catch (e) { toast(e.message); }
  } }, h("label", { for: "n-address" }, "Address or @domain", na), h("label", { for: "n-scope" }, "Scope (stream or domain)", ns),
  h("button", { type: "submit", text: "Add" }));
  const file = h("input", { id: "import-file", type: "file", accept: ".csv,text/csv" });
  const imp = h("form", { class: "inline", onsubmit: async (ev) => {
    ev.preventDefault();
    if (!file.files[0]) return;
    const rows = (await file.files[0].text()).split(/\r?\n/).filter((l) => l && !l.startsWith("address"));
    const entries = rows.map((l) => { const [address, scope, reason] = l.split(","); return { address, scope: scope || "domain", reason: reason || "manual" }; });
    try {
      for (let i = 0; i < entries.length; i += 1000) await api("POST", "/admin/v1/suppressions", { entries: entries.slice(i, i + 1000) });
      toast(`${entries.length} imported`);
      suppressionPage(params);
    } catch (e) { toast(e.message); }
  } }, h("label", { for: "import-file" }, "Import CSV (address,scope,reason)", file), h("button", { type: "submit", text: "Import" }));
  page("Suppression", search, add, imp, h("p", { class: "muted", text: "Loading..." }));
  const out = await api("GET", "/admin/v1/suppressions" + qs({ address: f.address, limit: 500 }));
  const list = out.suppressions || out.entries || [];
  const csv = ["address,scope,reason,created,origin,source"].concat(list.map((e) => [e.address, e.scope, e.reason, e.created_at || e.created, e.origin, e.source].map(csvCell).join(","))).join("\n");
  const exp = h("a", { href: URL.createObjectURL(new Blob([csv], { type: "text/csv" })), download: "suppressions.csv", text: "Export these as CSV" });
  main.replaceChildren(main.firstChild, search, add, imp, h("p", {}, exp),
    table(["Address", "Scope", "Reason", "Since", "Origin", "Source", "Actions"], list.map((e) => h("tr", {},
      h("td", { text: e.address }), h("td", { text: e.scope }), h("td", { text: e.reason }), h("td", { text: when(e.created_at || e.created) }),
      h("td", { text: e.origin }), h("td", { text: e.source }),
      h("td", {}, h("button", { type: "button", class: "danger", onclick: confirmThen(`Remove ${e.address} (${e.scope})?`, async () => {
        await api("DELETE", `/admin/v1/suppressions/${encodeURIComponent(e.address)}?scope=${encodeURIComponent(e.scope)}`);
        suppressionPage(params);
      }), text: "Remove" }))))));
}

/* a CSV cell: no separators, and nothing a spreadsheet would run as a formula */
function csvCell(x) {
  const t = String(x || "").replace(/[,\r\n]/g, " ");
  return /^[=+\-@\t]/.test(t) ? "'" + t : t;
}

/* -- domains --------------------------------------------------------------------- */

const checks = {}; /* the last DNS check of each domain, this page's session */

async function domainsPage() {
  loading("Domains");
  const out = await api("GET", "/admin/v1/domains");
  page("Domains", ...out.domains.map((d) => {
    const found = {};
    for (const c of (checks[d.name] || [])) found[c.name + "|" + c.kind] = c;
    return h("section", {},
      h("h2", { text: d.name }),
      h("p", { class: "muted", text: d.checked_at ? `DNS last checked ${when(d.checked_at)}` : "DNS not checked yet" }),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "secondary", onclick: async () => {
          try {
            const r = await api("POST", `/admin/v1/domains/${encodeURIComponent(d.name)}/check`);
            checks[d.name] = r.checks || [];
            toast(`${d.name}: ${r.ok ? "every record is in place" : "some records are missing or wrong"}`);
            domainsPage();
          } catch (e) { toast(e.message); }
        }, text: "Check DNS now" }),
        h("button", { type: "button", onclick: confirmThen(`Rotate the DKIM keys of ${d.name}? New keys wait for DNS before use.`, async () => {
          await api("POST", `/admin/v1/domains/${encodeURIComponent(d.name)}/rotate`);
          domainsPage();
        }), text: "Rotate keys" })),
      table(["Selector", "Algorithm", "State", "Usable", "Created"], (d.keys || []).map((k) => h("tr", {},
        h("td", { text: k.selector }), h("td", { text: k.algorithm }), h("td", { text: k.state }),
        h("td", { text: k.usable ? "yes" : "no" }), h("td", { text: when(k.created_at) })))),
      table(["Record", "Name", "Publish (TXT)", "Last check"], (d.records || []).map((r) => {
        const c = found[r.name + "|" + r.kind];
        return h("tr", {}, h("td", { text: r.kind }), h("td", { text: r.name }),
          h("td", { class: "muted", text: r.value && r.value.length > 90 ? r.value.slice(0, 90) + "..." : r.value }),
          h("td", { text: c ? c.status : "" }));
      })));
  }));
}

/* -- routing ----------------------------------------------------------------------- */

async function route() {
  if (!state.user) return showLogin();
  stopTimer();
  const hash = location.hash || "#/";
  const [path, query] = hash.slice(1).split("?");
  let parts;
  try {
    parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  } catch (e) {
    page("Not found", h("p", { text: "No such page." }));
    return;
  }
  for (const a of document.querySelectorAll("#nav a")) {
    const target = a.getAttribute("href").slice(1);
    a.toggleAttribute("aria-current", target === "/" ? parts.length === 0 : path.startsWith(target));
    if (a.hasAttribute("aria-current")) a.setAttribute("aria-current", "page");
  }
  try {
    if (parts.length === 0) await overview();
    else if (parts[0] === "sources" && parts.length === 1) await sourcesPage();
    else if (parts[0] === "sources") await sourcePage(parts[1]);
    else if (parts[0] === "messages" && parts.length === 1) await messagesPage(query);
    else if (parts[0] === "messages") await messagePage(parts[1]);
    else if (parts[0] === "queue") await queuePage(query);
    else if (parts[0] === "quarantine" && parts.length === 1) await quarantinePage();
    else if (parts[0] === "quarantine") await quarantineItem(parts[1]);
    else if (parts[0] === "suppression") await suppressionPage(query);
    else if (parts[0] === "domains") await domainsPage();
    else page("Not found", h("p", { text: "No such page." }));
  } catch (e) {
    if (e.status !== 401) page("Error", h("p", { class: "error", role: "alert", text: e.message }));
  }
}

window.addEventListener("hashchange", () => { state.navigated = true; route(); });

(async () => {
  try {
    const out = await api("GET", "/console/api/session");
    if (out.user) loggedIn(out);
    else showLogin();
  } catch (e) {
    showLogin(e.status === 401 ? "" : e.message);
  }
})();
