// Yagura console: every change goes to the REST API with the session's
// CSRF token; pages are re-rendered by the server afterwards.
"use strict";

const csrf = () => (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

async function api(method, path, body, contentType) {
  const headers = { "X-CSRF-Token": csrf() };
  let payload = body;
  if (body !== undefined && !(body instanceof Blob) && !(body instanceof File)) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  } else if (contentType) {
    headers["Content-Type"] = contentType;
  }
  const resp = await fetch(path, { method, headers, body: payload, credentials: "same-origin" });
  let data = {};
  try { data = await resp.json(); } catch (_) { /* not every answer has a body */ }
  if (!resp.ok) {
    throw new Error(data.error || resp.status + " " + resp.statusText);
  }
  return data;
}

function toast(msg) {
  const t = document.getElementById("toast");
  if (!t) return;
  t.textContent = msg;
  t.classList.add("show");
  setTimeout(() => t.classList.remove("show"), 4000);
}

function me() {
  const who = document.querySelector(".who");
  return who ? who.textContent.split(" · ")[0].trim() : "";
}

// The change each triage button asks for.
const changes = {
  acknowledge: () => ({ status: "acknowledged" }),
  assign: () => ({ assignee: me(), status: "in_progress" }),
  close_tp: () => ({ status: "closed", resolution: "true_positive" }),
};

async function createCase(ids) {
  const title = prompt(document.documentElement.lang === "ja" ? "ケース件名" : "Case title");
  if (!title) return;
  const c = await api("POST", "/api/v1/cases", { title, alert_ids: ids });
  location.href = "/ui/cases/" + c.id;
}

function selected() {
  return [...document.querySelectorAll("input[data-select]:checked")].map((x) => x.value);
}

function updateCount() {
  const n = document.querySelector("[data-selected-count]");
  if (n) n.textContent = selected().length;
}

document.addEventListener("DOMContentLoaded", () => {
  const login = document.getElementById("login-form");
  if (login) {
    login.addEventListener("submit", async (e) => {
      e.preventDefault();
      const f = new FormData(login);
      try {
        await api("POST", "/api/v1/auth/login", { user: f.get("user"), password: f.get("password"), totp: f.get("totp") || "" });
        location.href = login.dataset.next || "/ui/";
      } catch (err) {
        document.getElementById("login-error").textContent = err.message;
      }
    });
  }
  document.querySelectorAll("[data-logout]").forEach((b) => b.addEventListener("click", async () => {
    try { await api("POST", "/api/v1/auth/logout"); } finally { location.href = "/ui/login"; }
  }));

  // Alert queue: selection and bulk actions.
  document.querySelectorAll("input[data-select]").forEach((c) => c.addEventListener("change", updateCount));
  const all = document.querySelector("[data-select-all]");
  if (all) all.addEventListener("change", () => {
    document.querySelectorAll("input[data-select]").forEach((c) => { c.checked = all.checked; });
    updateCount();
  });
  document.querySelectorAll("[data-bulk-action]").forEach((b) => b.addEventListener("click", async () => {
    const ids = selected();
    if (!ids.length) return;
    try {
      await api("POST", "/api/v1/alerts/bulk", Object.assign({ ids }, changes[b.dataset.bulkAction]()));
      location.reload();
    } catch (err) { toast(err.message); }
  }));
  document.querySelectorAll("[data-create-case]").forEach((b) => b.addEventListener("click", async () => {
    const ids = b.dataset.ids ? b.dataset.ids.split(",") : selected();
    if (!ids.length) return;
    try { await createCase(ids); } catch (err) { toast(err.message); }
  }));

  // Alert detail.
  const actions = document.querySelector("[data-alert]");
  if (actions) actions.querySelectorAll("[data-alert-action]").forEach((b) => b.addEventListener("click", async () => {
    const id = actions.dataset.alert;
    try {
      if (b.dataset.alertAction === "close_fp_suppress") {
        const reason = prompt(document.documentElement.lang === "ja" ? "抑制の理由" : "Why is this a false positive?");
        if (!reason) return;
        await api("POST", "/api/v1/alerts/" + id + "/suppress", { reason, expires_in: "720h" });
      } else {
        await api("PATCH", "/api/v1/alerts/" + id, changes[b.dataset.alertAction]());
      }
      location.reload();
    } catch (err) { toast(err.message); }
  }));

  // Keyboard triage on the queue: j/k move, x select, a acknowledge,
  // m assign to me, Enter opens.
  const rows = [...document.querySelectorAll("tr[data-alert-row]")];
  let cur = -1;
  const focus = (i) => {
    if (!rows.length) return;
    cur = Math.max(0, Math.min(rows.length - 1, i));
    rows.forEach((r, j) => r.classList.toggle("cursor", j === cur));
    rows[cur].scrollIntoView({ block: "nearest" });
  };
  document.addEventListener("keydown", async (e) => {
    if (!rows.length || e.target.closest("input, select, textarea")) return;
    const id = cur >= 0 ? rows[cur].dataset.alertRow : null;
    switch (e.key) {
      case "j": focus(cur + 1); break;
      case "k": focus(cur - 1); break;
      case "x": if (id) { const c = rows[cur].querySelector("input[data-select]"); c.checked = !c.checked; updateCount(); } break;
      case "Enter": if (id) location.href = "/ui/alerts/" + id; break;
      case "a": case "m":
        if (!id) return;
        try { await api("PATCH", "/api/v1/alerts/" + id, changes[e.key === "a" ? "acknowledge" : "assign"]()); location.reload(); }
        catch (err) { toast(err.message); }
        break;
    }
  });

  // Case detail: evidence, stage completion, comments.
  const ev = document.querySelector("[data-evidence-form]");
  if (ev) ev.addEventListener("submit", async (e) => {
    e.preventDefault();
    const file = ev.querySelector('input[type="file"]').files[0];
    if (!file) return;
    const q = new URLSearchParams({ name: file.name, requirement: ev.requirement.value });
    try {
      await api("POST", "/api/v1/cases/" + ev.dataset.evidenceForm + "/evidence?" + q, file, file.type || "application/octet-stream");
      location.reload();
    } catch (err) { toast(err.message); }
  });
  const adv = document.querySelector("[data-advance-form]");
  if (adv) adv.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await api("POST", "/api/v1/cases/" + adv.dataset.advanceForm + "/advance", { override: adv.override.value });
      location.reload();
    } catch (err) { adv.querySelector("[data-advance-error]").textContent = err.message; }
  });
  const act = document.querySelector("[data-action-form]");
  if (act) act.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await api("POST", "/api/v1/cases/" + act.dataset.actionForm + "/actions",
        { type: act.type.value, target: act.target.value, connector: act.connector.value, dry_run: act.dry_run.checked });
      location.reload();
    } catch (err) { toast(err.message); }
  });
  document.querySelectorAll("[data-action-decide]").forEach((b) => b.addEventListener("click", async () => {
    try {
      await api("POST", "/api/v1/cases/" + b.dataset.case + "/actions/" + b.dataset.action + "/" + b.dataset.actionDecide);
      location.reload();
    } catch (err) { toast(err.message); }
  }));
  const save = document.querySelector("[data-save-hunt]");
  if (save) save.addEventListener("click", async () => {
    const name = prompt(document.documentElement.lang === "ja" ? "ハント名" : "Name of the hunt");
    if (!name) return;
    try { await api("POST", "/api/v1/hunts", { name, query: save.dataset.query }); toast("✓ " + name); }
    catch (err) { toast(err.message); }
  });
  // Alert detail: add the alert to an existing case.
  const addCase = document.querySelector("[data-add-to-case]");
  if (addCase) addCase.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await api("POST", "/api/v1/cases/" + addCase.case.value + "/alerts", { alert_ids: [addCase.dataset.alertId] });
      location.reload();
    } catch (err) { toast(err.message); }
  });

  // Admin pages: a form or button says which API call it makes; the
  // fields become the JSON body: data-number fields as numbers, data-list
  // fields (comma-separated) and multiple selects as lists, data-json
  // fields as the JSON they hold.
  const apiError = (msg) => {
    const p = document.querySelector("[data-api-error]");
    if (p) p.textContent = msg;
    toast(msg);
  };
  const fieldValue = (el) => {
    if (el.type === "checkbox") return el.checked;
    if (el.multiple) return [...el.selectedOptions].map((o) => o.value);
    if (el.hasAttribute("data-number")) return Number(el.value);
    if (el.hasAttribute("data-list")) return el.value.split(",").map((x) => x.trim()).filter((x) => x);
    if (el.hasAttribute("data-json")) return JSON.parse(el.value);
    return el.value;
  };
  document.querySelectorAll("form[data-api-form]").forEach((f) => f.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = {};
    try {
      f.querySelectorAll("input[name], select[name], textarea[name]").forEach((el) => {
        if (el.disabled) return;
        if (el.value === "" && el.type !== "checkbox" && !el.multiple) return;
        try { body[el.name] = fieldValue(el); } catch (err) { throw new Error(el.name + ": " + err.message); }
      });
      const res = await api(f.dataset.method, f.dataset.path, body);
      const show = f.dataset.show;
      const out = document.querySelector("[data-api-result]");
      if (show && out && res[show]) {
        out.textContent = res[show]; // a secret shown once: no reload
        return;
      }
      location.reload();
    } catch (err) { apiError(err.message); }
  }));
  document.querySelectorAll("button[data-api-method]").forEach((b) => b.addEventListener("click", async () => {
    if (b.dataset.confirm && !confirm(b.dataset.confirm)) return;
    try {
      await api(b.dataset.apiMethod, b.dataset.apiPath, b.dataset.apiBody ? JSON.parse(b.dataset.apiBody) : undefined);
      if (b.dataset.apiMethod === "POST") { toast("✓"); return; }
      location.reload();
    } catch (err) { apiError(err.message); }
  }));

  // Rules: test a draft rule against pasted events (POST /api/v1/rules/test).
  const rt = document.querySelector("[data-rule-test]");
  if (rt) rt.addEventListener("submit", async (e) => {
    e.preventDefault();
    const summary = document.querySelector("[data-rule-test-summary]");
    const list = document.querySelector("[data-rule-test-matches]");
    list.replaceChildren();
    summary.textContent = "";
    try {
      const res = await api("POST", "/api/v1/rules/test", { rule: rt.rule.value, lines: rt.lines.value });
      summary.textContent = summary.dataset.text.replace("{events}", res.events).replace("{total}", res.total);
      for (const m of res.matches) {
        const li = document.createElement("li");
        const ev = (m.events[0] || {});
        li.textContent = m.rule_title + " · " + m.level + " · " + (ev["event.original"] || JSON.stringify(ev.ecs || ev));
        list.append(li);
      }
      for (const w of res.warnings || []) {
        const li = document.createElement("li");
        li.className = "hint";
        li.textContent = w;
        list.append(li);
      }
    } catch (err) { summary.textContent = err.message; }
  });

  // Alert queue: new alerts arrive over server-sent events; the queue
  // says how many and offers a reload rather than moving rows under the
  // analyst's cursor.
  const live = document.querySelector("[data-live-alerts]");
  if (live && window.EventSource) {
    const src = new EventSource("/ui/stream/alerts?since=" + encodeURIComponent(live.dataset.since));
    let n = 0;
    live.querySelector("[data-live-text]").textContent = live.dataset.textOne;
    live.querySelector("[data-live-reload]").addEventListener("click", (e) => { e.preventDefault(); location.reload(); });
    src.addEventListener("alert", (e) => {
      const a = JSON.parse(e.data);
      n++;
      live.hidden = false;
      live.querySelector("[data-live-count]").textContent = n;
      const list = live.querySelector("[data-live-list]");
      const link = document.createElement("a");
      link.href = "/ui/alerts/" + a.id;
      link.className = "tag s-" + a.severity;
      link.textContent = a.severity + " · " + a.rule_title;
      list.prepend(link);
      while (list.children.length > 5) list.lastChild.remove();
    });
    window.addEventListener("pagehide", () => src.close());
  }

  const com = document.querySelector("[data-comment-form]");
  if (com) com.addEventListener("submit", async (e) => {
    e.preventDefault();
    try { await api("POST", "/api/v1/cases/" + com.dataset.commentForm + "/comments", { text: com.text.value }); location.reload(); }
    catch (err) { toast(err.message); }
  });
});
