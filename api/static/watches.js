// The watches panel: watch a VIN with any API key, and read the notices the indexer wrote
// for the key's participant (every event touching a watched vehicle, in words, with its
// block and transaction). Plain JS, no build step; it adds its own section to the page.
"use strict";
(function () {
  const cfg = window.REGISTRY_CONFIG;
  const store = window.sessionStorage;
  const { esc, fetchJSON, addSection, showError, txLink, FIELD, keyInput } = window.registryUI;
  const when = window.registryUI.day;

  function build() {
    const section = addSection("watches", `
      <h2>Watches <span class="hint">notices of every event on the vehicles a key's participant watches</span></h2>
      <form id="watch-form" autocomplete="off" style="flex-wrap:wrap;max-width:none">
        ${keyInput("watch-key")}
        <input id="watch-vin" placeholder="VIN to watch (optional)" aria-label="VIN to watch"
               maxlength="17" style="${FIELD};min-width:240px">
        <button type="submit">Watch / show notices</button>
      </form>
      <div id="watch-error" class="error" role="alert" hidden style="margin-top:12px"></div>
      <div id="watch-body" hidden>
        <p id="watch-summary" class="muted"></p>
        <ol id="watch-notices" style="list-style:none;padding:0;margin:0"></ol>
      </div>`);
    document.getElementById("watch-key").value = store.getItem("watch.key") || "";
    section.querySelector("#watch-form").addEventListener("submit", (e) => { e.preventDefault(); load(); });
  }

  async function load() {
    const key = document.getElementById("watch-key").value.trim();
    const vin = document.getElementById("watch-vin").value.trim();
    document.getElementById("watch-error").hidden = true;
    if (!key) return fail("Enter an API key (any role).");
    store.setItem("watch.key", key);
    try {
      if (vin) await fetchJSON("/watches", key, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ vins: [vin] }) });
      const [watches, notices] = await Promise.all([
        fetchJSON("/watches", key), fetchJSON("/notices?limit=50", key)]);
      render(watches, notices.items || []);
    } catch (e) { fail(e.message); }
  }

  const fail = (message) => showError("watch-error", message, "watch-body");

  function render(watches, notices) {
    const n = watches.items.length;
    document.getElementById("watch-summary").textContent =
      `${watches.watcher} watches ${n} ${n === 1 ? "thing" : "things"}: ` +
      watches.items.map((w) => w.target).join(", ") +
      (notices.length ? "" : ". No notices yet: they come as the indexer mirrors new events.");
    document.getElementById("watch-notices").innerHTML = notices.map((x) => `
      <li style="padding:8px 0;border-bottom:1px solid var(--line)">
        <span class="kind">${esc(x.event)}</span>
        <span class="hint">block ${esc(x.block_number)} · log ${esc(x.log_index)} · ${esc(when(x.block_time))}</span>
        ${txLink(cfg.txLinkBase, x.tx_hash)}
        <div>${esc(x.message)}</div>
        <div class="hint">after it: owner ${esc(x.state.owner || "–")}, ${esc((x.state.active_liens || []).length)} active lien(s)</div>
      </li>`).join("");
    document.getElementById("watch-body").hidden = false;
  }

  window.registryUI.ready(build);
})();
