// ses2mt preview: live updates over Server-Sent Events, without reloading the page.
// The server sends HTML fragments it rendered (escaped by Jinja2); this script only swaps them in, sets the email
// frames' srcdoc, and keeps the user's fixture, tab, width and scroll position.
(() => {
  "use strict";

  const body = document.body;
  const page = body.dataset.page;
  const state = {
    generation: Number(body.dataset.generation || 0),
    updates: 0,
    lastUpdate: null,
  };
  window.ses2mtPreview = state; // read by the tests and the benchmark

  function setLive(mode) {
    const live = document.getElementById("live");
    if (!live) return;
    live.dataset.state = mode;
    live.textContent = { live: "live", offline: "offline, retrying…", connecting: "connecting…" }[mode];
  }

  function showBanner(parts) {
    const banner = document.getElementById("banner");
    if (!banner) return;
    banner.replaceChildren();
    for (const part of parts) {
      if (typeof part === "string") {
        banner.append(document.createTextNode(part));
      } else {
        const link = document.createElement("a");
        link.href = part.href;
        link.textContent = part.text;
        banner.append(link);
      }
    }
    banner.hidden = false;
  }

  function hideBanner() {
    const banner = document.getElementById("banner");
    if (banner) banner.hidden = true;
  }

  function fillSlots(slots) {
    for (const [name, html] of Object.entries(slots)) {
      for (const element of document.querySelectorAll(`[data-slot="${name}"]`)) {
        if (element.innerHTML !== html) element.innerHTML = html;
      }
    }
  }

  // ------------------------------------------------------------------------------------------------ index page

  function applyFilter() {
    const input = document.getElementById("filter");
    if (!input) return;
    const terms = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const row of document.querySelectorAll("tbody[data-slot=rows] tr")) {
      const text = row.dataset.filter || "";
      const match = terms.every((term) => text.includes(term));
      row.hidden = !match;
      if (match) shown += 1;
    }
    const none = document.getElementById("no-match");
    if (none) none.hidden = shown > 0;
    const url = new URL(window.location.href);
    if (input.value) url.searchParams.set("q", input.value);
    else url.searchParams.delete("q");
    history.replaceState(null, "", url);
  }

  async function refreshIndex() {
    const response = await fetch("/fragments/index", { cache: "no-store" });
    if (!response.ok) return;
    const data = await response.json();
    fillSlots(data.slots);
    applyFilter();
    noteUpdate(data.generation);
  }

  function setupIndex() {
    const input = document.getElementById("filter");
    const query = new URL(window.location.href).searchParams.get("q");
    if (input) {
      if (query) input.value = query;
      input.addEventListener("input", applyFilter);
      applyFilter();
    }
    return { onChange: () => refreshIndex(), onStale: () => refreshIndex() };
  }

  // --------------------------------------------------------------------------------------------- template page

  const templateId = body.dataset.template;
  let pending = null;
  let again = false;

  let sourceStale = false; // the converted-source tab is refreshed when shown, not on every save

  function currentTab() {
    const active = document.querySelector("button[data-tab].active");
    return active ? active.dataset.tab : "html";
  }

  function currentFixture() {
    const select = document.getElementById("fixture");
    return select ? select.value : "";
  }

  function remember(key, value) {
    const url = new URL(window.location.href);
    url.searchParams.set(key, value);
    history.replaceState(null, "", url);
  }

  function fitFrame(frame) {
    try {
      const doc = frame.contentDocument;
      if (!doc || !doc.documentElement) return;
      // the document's own height lets the frame shrink (after a switch to desktop width); its scroll height
      // lets it grow when the content overflows a document styled with height: 100%
      const box = Math.ceil(doc.documentElement.getBoundingClientRect().height);
      const overflow = doc.documentElement.scrollHeight > frame.clientHeight ? doc.documentElement.scrollHeight : 0;
      frame.style.height = `${Math.max(box, overflow, 120)}px`;
    } catch (error) {
      // a frame without allow-same-origin cannot be measured: keep the CSS height
    }
  }

  function watchFrame(frame) {
    frame.addEventListener("load", () => {
      fitFrame(frame);
      setTimeout(() => fitFrame(frame), 250); // late images and fonts
    });
    fitFrame(frame);
  }

  function setFrame(frame, html) {
    if (!frame) return;
    if (html === null || html === undefined) {
      frame.hidden = true;
      return;
    }
    frame.hidden = false;
    if (frame.srcdoc !== html) frame.srcdoc = html;
  }

  async function updateTemplate() {
    if (pending) {
      again = true;
      return pending;
    }
    pending = (async () => {
      do {
        again = false;
        const tab = currentTab();
        const url = `/t/${encodeURIComponent(templateId)}/update?fixture=${encodeURIComponent(currentFixture())}`
          + `&tab=${encodeURIComponent(tab)}`;
        const response = await fetch(url, { cache: "no-store" });
        if (response.status === 404) {
          showBanner(["This template no longer exists under the watched folder (deleted or renamed). ",
            { href: "/", text: "All templates" }]);
          break;
        }
        if (!response.ok) break;
        const data = await response.json();
        hideBanner();
        fillSlots(data.slots);
        sourceStale = !("source" in data.slots);
        setFrame(document.getElementById("frame-ses"), data.frames.ses);
        setFrame(document.getElementById("frame-mailtrap"), data.frames.mailtrap);
        body.dataset.templateGeneration = data.template_generation;
        remember("fixture", data.fixture);
        noteUpdate(data.generation);
      } while (again);
    })();
    try {
      await pending;
    } finally {
      pending = null;
    }
  }

  function selectTab(tab) {
    for (const button of document.querySelectorAll("[data-tab]")) {
      button.classList.toggle("active", button.dataset.tab === tab);
      button.setAttribute("aria-selected", String(button.dataset.tab === tab));
    }
    for (const panel of document.querySelectorAll("[data-tab-panel]")) {
      panel.hidden = panel.dataset.tabPanel !== tab;
    }
    if (tab === "html") document.querySelectorAll("iframe.email").forEach(fitFrame);
    remember("tab", tab);
    if (tab === "source" && sourceStale) updateTemplate();
  }

  function selectWidth(width) {
    for (const button of document.querySelectorAll("[data-width]")) {
      if (button.tagName === "BUTTON") button.classList.toggle("active", button.dataset.width === width);
    }
    const renders = document.getElementById("renders");
    if (renders) renders.dataset.width = width;
    document.querySelectorAll("iframe.email").forEach((frame) => setTimeout(() => fitFrame(frame), 0));
    remember("width", width);
  }

  function setupTemplate() {
    document.querySelectorAll("iframe.email").forEach(watchFrame);
    for (const button of document.querySelectorAll("button[data-tab]")) {
      button.addEventListener("click", () => selectTab(button.dataset.tab));
    }
    for (const button of document.querySelectorAll("button[data-width]")) {
      button.addEventListener("click", () => selectWidth(button.dataset.width));
    }
    const select = document.getElementById("fixture");
    if (select) select.addEventListener("change", () => updateTemplate());
    return {
      onChange: (change) => {
        if (change.renamed && change.renamed[templateId]) {
          const target = change.renamed[templateId];
          showBanner(["This template was renamed to ", { href: `/t/${encodeURIComponent(target)}`, text: target }, "."]);
          return;
        }
        const mine = [...change.changed, ...change.added, ...change.removed].includes(templateId);
        if (mine) updateTemplate();
      },
      onStale: () => updateTemplate(),
    };
  }

  function noteUpdate(generation) {
    if (generation > state.generation) state.generation = generation;
    state.updates += 1;
    state.lastUpdate = Date.now();
    body.dataset.generation = String(state.generation);
  }

  // ------------------------------------------------------------------------------------------------ events

  function connect(handlers) {
    if (!window.EventSource) return;
    const source = new EventSource("/api/events");
    let instance = null; // the server's; another one after a reconnect means the server was restarted
    source.addEventListener("hello", (event) => {
      setLive("live");
      const data = JSON.parse(event.data);
      const restarted = instance !== null && data.instance !== instance;
      instance = data.instance;
      if (restarted) state.generation = data.generation; // a new server counts from its own start
      if (restarted || data.generation > state.generation) handlers.onStale();
    });
    source.addEventListener("change", (event) => {
      const change = JSON.parse(event.data);
      const live = document.getElementById("live");
      if (live) live.title = `Live reload: generation ${change.generation}, last reload took ${change.reload_ms} ms`;
      handlers.onChange(change);
      if (change.generation > state.generation) state.generation = change.generation;
    });
    source.addEventListener("error", () => setLive("offline"));
    window.addEventListener("beforeunload", () => source.close());
  }

  const handlers = page === "index" ? setupIndex() : page === "template" ? setupTemplate() : null;
  if (handlers) connect(handlers);
  else setLive("live");
})();
