// Triage: progressive enhancement of the server-rendered pages. Every page works without
// this script; with it come search as you type, keyboard shortcuts, live updates, presence,
// macros in the reply box, drag-and-drop attachments and the rule editor's line numbers.
(function () {
  "use strict";

  const body = document.body;
  const csrf = body.dataset.csrf || "";
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));
  const typingTarget = (el) => el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  const tabKey = (self.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Math.random()).slice(2);

  function debounce(fn, ms) {
    let t = null;
    return function (...args) { clearTimeout(t); t = setTimeout(() => fn.apply(this, args), ms); };
  }

  function say(text) {
    const live = $("#live-status");
    if (live) live.textContent = text;
  }

  async function fetchText(url, signal) {
    const res = await fetch(url, { credentials: "same-origin", signal, headers: { "Accept": "text/html" } });
    if (res.redirected && /\/sign-in/.test(res.url)) { location.href = res.url; return null; }
    return { ok: res.ok, status: res.status, text: await res.text() };
  }

  // ---- `/` focuses search from any page ----
  document.addEventListener("keydown", (e) => {
    if (e.key === "/" && !typingTarget(document.activeElement) && !e.ctrlKey && !e.metaKey && !e.altKey) {
      const box = $("#q") || $("#global-search");
      if (box) { e.preventDefault(); box.focus(); box.select(); }
    }
    if (e.key === "Escape") {
      const help = $("#search-help");
      if (help && !help.hidden) { help.hidden = true; const t = $("#help-toggle"); if (t) { t.setAttribute("aria-expanded", "false"); t.focus(); } }
    }
  });

  // ---- search page: results as you type, facets in place, the URL holds the query ----
  const results = $("#results");
  const searchForm = $("#search-form");
  let inflight = null;

  function listUrl(extra) {
    const url = new URL(location.href);
    url.searchParams.delete("done");
    url.searchParams.delete("cursor");
    for (const [k, v] of Object.entries(extra || {})) {
      if (v === null || v === "") url.searchParams.delete(k); else url.searchParams.set(k, v);
    }
    return url;
  }

  async function refreshResults(url, measure) {
    if (!results) return;
    const started = performance.now();
    if (inflight) inflight.abort();
    inflight = new AbortController();
    const fragment = new URL(url);
    fragment.searchParams.set("fragment", "results");
    try {
      const selected = new Set($$("input[name=ids]:checked").map((c) => c.value));
      const res = await fetchText(fragment, inflight.signal);
      if (!res) return;
      results.innerHTML = res.text;
      for (const box of $$("input[name=ids]")) if (selected.has(box.value)) box.checked = true;
      bindList();
      if (measure) {
        results.dataset.renderedMs = String(Math.round(performance.now() - started));
        results.dataset.renderedQuery = url.searchParams.get("q") || "";
      }
    } catch (err) {
      if (err.name !== "AbortError") say("Could not refresh the results; check the connection.");
    }
  }

  if (searchForm && results) {
    const q = $("#q");
    const sort = $("#sort");
    // Until the agent picks a sort, words rank by relevance and an empty query by recency.
    let sortChosen = new URL(location.href).searchParams.has("sort");
    const run = () => {
      if (!sortChosen) sort.value = q.value.trim() ? "relevance" : "-updated";
      const url = listUrl({ q: q.value, sort: sortChosen ? sort.value : "" });
      history.replaceState(null, "", url);
      for (const hidden of $$(".save-view input[name=q]")) hidden.value = q.value;
      for (const hidden of $$(".save-view input[name=sort]")) hidden.value = sort.value;
      const top = $("#global-search");
      if (top) top.value = q.value;
      refreshResults(url, true);
    };
    q.addEventListener("input", debounce(run, 180));
    sort.addEventListener("change", () => { sortChosen = true; run(); });
    searchForm.addEventListener("submit", (e) => { e.preventDefault(); run(); });
    results.addEventListener("click", (e) => {
      const facet = e.target.closest("a.facet");
      if (!facet || e.ctrlKey || e.metaKey || e.shiftKey) return;
      e.preventDefault();
      const href = new URL(facet.href);
      q.value = href.searchParams.get("q") || "";
      run();
      q.focus();
    });
    const toggle = $("#help-toggle");
    const help = $("#search-help");
    if (toggle && help) {
      toggle.addEventListener("click", () => {
        help.hidden = !help.hidden;
        toggle.setAttribute("aria-expanded", String(!help.hidden));
      });
    }
  }

  for (const select of $$("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form && select.form.submit());
  }

  // ---- lists: keyboard navigation, selection, bulk actions ----
  let focusIndex = -1;
  function rows() { return $$(".ticket-row"); }
  function focusRow(i) {
    const all = rows();
    if (!all.length) return;
    focusIndex = Math.max(0, Math.min(all.length - 1, i));
    for (const r of all) r.classList.remove("focused");
    const row = all[focusIndex];
    row.classList.add("focused");
    row.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }
  function updateSelected() {
    const n = $$("input[name=ids]:checked").length;
    const label = $("#selected-count");
    if (label) label.textContent = n ? `${n} selected:` : "Select tickets (x) to change them together:";
  }
  function bindList() {
    focusIndex = -1;
    const all = $("#select-all");
    if (all) all.addEventListener("change", () => { for (const b of $$("input[name=ids]")) b.checked = all.checked; updateSelected(); });
    for (const b of $$("input[name=ids]")) b.addEventListener("change", updateSelected);
    updateSelected();
  }
  bindList();
  document.addEventListener("keydown", (e) => {
    if (typingTarget(document.activeElement) || e.ctrlKey || e.metaKey || e.altKey || !rows().length) return;
    if (e.key === "j") { e.preventDefault(); focusRow(focusIndex + 1); }
    else if (e.key === "k") { e.preventDefault(); focusRow(focusIndex - 1); }
    else if (e.key === "Enter" && focusIndex >= 0) {
      const link = $(".open-ticket", rows()[focusIndex]);
      if (link) { e.preventDefault(); location.href = link.href; }
    } else if (e.key === "x" && focusIndex >= 0) {
      const box = $("input[name=ids]", rows()[focusIndex]);
      if (box) { e.preventDefault(); box.checked = !box.checked; updateSelected(); }
    }
  });
  const bulkAction = $("#bulk-action");
  if (bulkAction) {
    const show = () => { for (const a of $$(".bulk-arg")) a.hidden = a.dataset.for !== bulkAction.value; };
    bulkAction.addEventListener("change", show);
    show();
    const bulk = $("#bulk");
    bulk.addEventListener("submit", (e) => {
      if (!$$("input[name=ids]:checked").length) { e.preventDefault(); say("Select at least one ticket first."); }
    });
  }

  // ---- the ticket page: macros, attachments, typing, collisions ----
  const ticketEl = $(".ticket[data-ticket]");
  const ticketId = ticketEl ? ticketEl.dataset.ticket : null;
  const replyForm = $("#reply-form");
  const replyBody = $("#reply-body");

  const macroPick = $("#reply-macro-pick");
  if (macroPick && replyBody) {
    macroPick.addEventListener("change", async () => {
      const id = macroPick.value;
      $("#reply-macro").value = id;
      if (!id) return;
      const res = await fetch(`/tickets/${ticketId}/macros/${id}`, { credentials: "same-origin" });
      if (!res.ok) { say("The macro could not be loaded."); return; }
      const m = await res.json();
      replyBody.value = replyBody.value.trim() ? `${replyBody.value.trimEnd()}\n\n${m.body}` : m.body;
      const kind = $(`input[name=kind][value=${m.public ? "reply" : "note"}]`);
      if (kind) kind.checked = true;
      if (m.status) { const s = $("#reply-status"); if (s) s.value = m.status; }
      replyBody.focus();
      replyBody.dispatchEvent(new Event("input"));
    });
  }

  for (const form of $$("form[enctype='multipart/form-data']")) {
    const input = $("input[type=file]", form);
    if (!input) continue;
    form.addEventListener("dragover", (e) => { e.preventDefault(); form.classList.add("dragging"); });
    form.addEventListener("dragleave", () => form.classList.remove("dragging"));
    form.addEventListener("drop", (e) => {
      e.preventDefault();
      form.classList.remove("dragging");
      if (!e.dataTransfer || !e.dataTransfer.files.length) return;
      const all = new DataTransfer();
      for (const f of input.files) all.items.add(f);
      for (const f of e.dataTransfer.files) all.items.add(f);
      input.files = all.files;
      say(`${all.files.length} file(s) attached.`);
    });
  }

  let typing = false;
  const stopTyping = debounce(() => setTyping(false), 4000);
  function setTyping(now) {
    if (!ticketId || typing === now) return;
    typing = now;
    fetch(`/tickets/${ticketId}/typing`, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ key: tabKey, typing: now }),
    }).catch(() => {});
  }
  if (replyBody && ticketId) {
    replyBody.addEventListener("input", () => { setTyping(replyBody.value.length > 0); stopTyping(); });
    replyForm.addEventListener("submit", () => setTyping(false));
  }

  function renderPresence(viewers) {
    const el = $("#presence");
    if (!el) return;
    el.textContent = "";
    for (const v of viewers) {
      const span = document.createElement("span");
      span.className = "viewer" + (v.typing ? " typing" : "");
      span.textContent = `${v.name} ${v.typing ? "is typing…" : "is viewing"}`;
      el.appendChild(span);
    }
  }

  async function refreshTicket(quiet) {
    const seenInput = $("#reply-seen");
    const seen = Number(seenInput ? seenInput.value : 0);
    const conv = await fetchText(`/tickets/${ticketId}?fragment=conversation`);
    if (conv && conv.ok) {
      const holder = $("#conversation");
      holder.innerHTML = conv.text;
      const fresh = $$(".message", holder).filter((m) => Number(m.dataset.message) > seen);
      if (fresh.length && replyBody && replyBody.value.trim()) {
        const warn = $("#meanwhile-live");
        warn.hidden = false;
        warn.textContent = "";
        const h = document.createElement("h2");
        h.textContent = "Someone wrote on this ticket while you were typing";
        warn.appendChild(h);
        for (const m of fresh) warn.appendChild(m.cloneNode(true));
        const send = $("#reply-send");
        if (send) send.textContent = "Send anyway";
        seenInput.value = String(Math.max(...$$(".message", holder).map((m) => Number(m.dataset.message))));
      } else if (seenInput && !(replyBody && replyBody.value.trim())) {
        const ids = $$(".message", holder).map((m) => Number(m.dataset.message));
        if (ids.length) seenInput.value = String(Math.max(...ids));
      }
    }
    const panelForm = $("#panel-form");
    const dirty = panelForm && panelForm.dataset.dirty === "1";
    if (!dirty) {
      const panel = await fetchText(`/tickets/${ticketId}?fragment=panel`);
      if (panel && panel.ok) { $("#panel").innerHTML = panel.text; bindPanel(); }
    }
    if (!quiet) say("This ticket was just updated by someone else.");
  }
  function bindPanel() {
    const f = $("#panel-form");
    if (f) f.addEventListener("change", () => { f.dataset.dirty = "1"; });
  }
  bindPanel();

  async function refreshPortal(quiet) {
    const res = await fetchText(location.pathname);
    if (!res || !res.ok) return;
    const doc = new DOMParser().parseFromString(res.text, "text/html");
    for (const id of ["conversation", "ticket-status"]) {
      const fresh = doc.getElementById(id);
      const old = document.getElementById(id);
      if (fresh && old) old.replaceWith(fresh);
    }
    if (!quiet) say("There is news on this ticket.");
  }

  // ---- live updates ----
  const refreshList = debounce(() => {
    refreshResults(listUrl({}), false);
    const rail = $("#rail");
    if (rail) {
      const view = new URL(location.href).searchParams.get("view") || "";
      fetchText(`/rail?view=${encodeURIComponent(body.dataset.section === "tickets" ? view : "")}`).then((r) => {
        if (r && r.ok) rail.innerHTML = r.text;
      });
    }
  }, 700);

  // One stream per visible tab: a hidden tab closes its stream (browsers allow few
  // connections per server) and catches up when it is shown again.
  // ---- the notification bell: the unread count, refreshed when the stream says so ----
  const bellCount = $("#bell-count");
  const refreshBell = () => {
    if (!bellCount) return;
    fetch("/notifications/count", { credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : null))
      .then((n) => {
        if (!n) return;
        bellCount.textContent = n.unread > 99 ? "99+" : String(n.unread);
        bellCount.hidden = n.unread === 0;
        bell.setAttribute("aria-label", n.unread ? `Notifications, ${n.unread} unread` : "Notifications");
      })
      .catch(() => {});
  };
  const bell = $("#bell");
  refreshBell();

  if (csrf && window.EventSource) {
    const portalTicket = $(".conversation.portal[data-ticket]");
    const url = ticketId ? `/live?ticket=${ticketId}&key=${encodeURIComponent(tabKey)}` : "/live";
    let source = null;
    const catchUp = () => {
      refreshBell();
      if (ticketId) refreshTicket(true);
      else if (portalTicket) refreshPortal(true);
      else if (results) refreshList();
    };
    const open = () => {
      if (source) return;
      source = new EventSource(url);
      source.addEventListener("change", (e) => {
        const change = JSON.parse(e.data);
        if (ticketId) {
          if (String(change.ticket) === ticketId && !change.mine) refreshTicket();
          else refreshList();
        } else if (portalTicket) {
          if (String(change.ticket) === portalTicket.dataset.ticket && !change.mine) refreshPortal();
        } else if (results) {
          refreshList();
        }
      });
      source.addEventListener("notified", refreshBell);
      source.addEventListener("presence", (e) => {
        const p = JSON.parse(e.data);
        if (String(p.ticket) === ticketId) renderPresence(p.viewers);
      });
      source.addEventListener("reload", () => {
        if (!(replyBody && replyBody.value.trim())) location.reload();
      });
    };
    const close = () => { if (source) { source.close(); source = null; } };
    document.addEventListener("visibilitychange", () => {
      if (document.hidden) close();
      else { open(); catchUp(); }
    });
    window.addEventListener("pagehide", close);
    if (!document.hidden) open();
  }

  // ---- the rule editor: line numbers that follow the script; Enter in the dry run runs it ----
  const ruleScript = $("#rule-script");
  const gutter = $("#script-gutter");
  if (ruleScript && gutter) {
    const bad = Number(gutter.dataset.errorLine || 0);
    const draw = () => {
      const lines = Math.max(ruleScript.value.split("\n").length, bad, 1);
      if (gutter.childElementCount !== lines) {
        const numbers = document.createDocumentFragment();
        for (let n = 1; n <= lines; n++) {
          const span = document.createElement("span");
          span.textContent = String(n);
          if (n === bad) span.className = "bad";
          numbers.appendChild(span);
        }
        gutter.replaceChildren(numbers);
      }
      gutter.scrollTop = ruleScript.scrollTop;
    };
    ruleScript.addEventListener("input", draw);
    ruleScript.addEventListener("scroll", () => { gutter.scrollTop = ruleScript.scrollTop; });
    draw();
  }
  const dryRunStart = $("#dry-run-start");
  if (dryRunStart) {
    for (const field of $$("#dry-last, #dry-ticket")) {
      field.addEventListener("keydown", (e) => {
        if (e.key === "Enter") { e.preventDefault(); dryRunStart.click(); }
      });
    }
  }

  // ---- when the page became usable, for the browser tests' timings ----
  requestAnimationFrame(() => {
    document.documentElement.dataset.interactiveMs = String(Math.round(performance.now()));
  });
})();
