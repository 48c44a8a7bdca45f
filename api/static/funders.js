// The funder's panel: the loans pledged to it (state, lien, collateral) and its alerts, read
// with the funder's (or an auditor's) API key. Plain JS, no build step; its own section.
"use strict";
(function () {
  const cfg = window.REGISTRY_CONFIG;
  const { esc, short, count, fetchJSON, addSection, showError, addressInput, keyInput } = window.registryUI;
  const label = window.registryUI.words;
  const SEVERITY = window.registryUI.severityColors(cfg.enums.severities);
  const who = window.registryUI.credentials({ address: ["funder-address", "funder.address"],
    key: ["funder-key", "funder.key"], role: "funder", holders: "that funder, an auditor or the registrar" });

  function build() {
    const section = addSection("funder", `
      <h2>Funder pool <span class="hint">the loans pledged to a funder, and its alerts</span></h2>
      <form id="funder-form" autocomplete="off" style="flex-wrap:wrap;max-width:none">
        ${addressInput("funder-address", "Funder")}
        ${keyInput("funder-key")}
        <button type="submit">Show pool</button>
      </form>
      <div id="funder-error" class="error" role="alert" hidden style="margin-top:12px"></div>
      <div id="funder-body" hidden>
        <p id="funder-summary"></p>
        <table id="funder-pool" style="width:100%;border-collapse:collapse;font-size:14px">
          <thead><tr><th>Loan</th><th>VIN</th><th>Lender</th><th>State</th><th>DPD</th>
            <th>Lien</th><th>Title</th></tr></thead><tbody></tbody></table>
        <h3 style="font-size:16px;margin:16px 0 8px">Alerts</h3>
        <ol id="funder-alerts" style="list-style:none;padding:0;margin:0"></ol>
        <p id="funder-no-alerts" class="muted" hidden>No alerts about this pool.</p>
      </div>`);
    who.restore();
    section.querySelector("#funder-form").addEventListener("submit", (e) => { e.preventDefault(); load(); });
  }

  async function load() {
    document.getElementById("funder-error").hidden = true;
    try {
      const { address: funder, key } = who.read();
      const base = `/funders/${encodeURIComponent(funder)}`;
      const [pool, alerts] = await Promise.all([
        fetchJSON(`${base}/pool?limit=500`, key),
        fetchJSON(`${base}/alerts?limit=50`, key),
      ]);
      render(pool, alerts.items || []);
    } catch (e) { fail(e.message); }
  }

  const fail = (message) => showError("funder-error", message, "funder-body");

  function row(p) {
    const lien = p.lien_status === "ACTIVE" ? `${p.lien_id} (priority ${p.lien_priority})` : `${p.lien_id} ${label(p.lien_status)}`;
    const others = (p.active_liens || 0) > (p.lien_status === "ACTIVE" ? 1 : 0) ? " · other liens" : "";
    const title = [label(p.title_status), ...(p.brands || []).map(label)].join(", ");
    return `<tr style="border-top:1px solid var(--line)"><td>${esc(p.loan_id)}</td>
      <td><code>${esc(p.vin)}</code></td><td class="hash" title="${esc(p.lender)}">${esc(short(p.lender))}</td>
      <td>${esc(label(p.state))}</td><td>${esc(p.days_past_due)}</td>
      <td>${esc(lien)}${esc(others)}</td><td>${esc(title)}</td></tr>`;
  }

  function alertItem(a) {
    const color = SEVERITY[a.severity] || "#6b7685";
    return `<li style="padding:8px 0;border-bottom:1px solid var(--line)">
      <span class="tag" style="background:${color};color:#fff">${esc(a.severity)}</span>
      <span class="kind">${esc(label(a.kind))}</span> <code>${esc(a.vin)}</code>
      <div>${esc(a.message)}</div></li>`;
  }

  function render(pool, alerts) {
    const shown = pool.items.length;
    document.getElementById("funder-summary").innerHTML =
      `<b>${count(pool.total)}</b> loan${pool.total === 1 ? "" : "s"} pledged` +
      (shown < pool.total ? ` <span class="hint">(first ${shown} shown)</span>` : "") + ".";
    document.querySelector("#funder-pool tbody").innerHTML = pool.items.map(row).join("");
    document.getElementById("funder-alerts").innerHTML = alerts.map(alertItem).join("");
    document.getElementById("funder-no-alerts").hidden = alerts.length > 0;
    document.getElementById("funder-body").hidden = false;
  }

  window.registryUI.ready(build);
})();
