// The lender's risk panel: alerts and a bucket chart, read with the lender's (or an
// auditor's) API key. Plain JS, no build step; it adds its own section to the page.
"use strict";
(function () {
  const cfg = window.REGISTRY_CONFIG;
  // The vocabularies come from the server (/config.js, from registry/enums.py), best first:
  // the chart's colours (common.js) follow their order.
  const BUCKETS = cfg.enums.buckets;
  const { esc, money, when, label, count, fetchJSON, addSection, showError, barChart, txLink,
    addressInput, keyInput } = window.registryUI;
  const SEVERITY = window.registryUI.severityColors(cfg.enums.severities);
  const who = window.registryUI.credentials({ address: ["risk-lender", "risk.lender"],
    key: ["risk-key", "risk.key"], role: "lender", holders: "that lender, an auditor or the registrar" });

  function build() {
    const section = addSection("risk", `
      <h2>Lender risk <span class="hint">alerts and delinquency, for a lender or auditor key</span></h2>
      <form id="risk-form" autocomplete="off" style="flex-wrap:wrap;max-width:none">
        ${addressInput("risk-lender", "Lender")}
        ${keyInput("risk-key")}
        <input id="risk-stress" type="number" min="0.1" max="20" step="0.1" value="1.5"
               aria-label="Stress factor" title="Stress: worsening roll rates ×"
               style="max-width:90px;font-size:14px;letter-spacing:0">
        <button type="submit">Show risk</button>
      </form>
      <div id="risk-error" class="error" role="alert" hidden style="margin-top:12px"></div>
      <div id="risk-body" hidden>
        <p id="risk-summary"></p>
        <div id="risk-chart"></div>
        <h3 style="font-size:16px;margin:16px 0 8px">Alerts</h3>
        <ol id="risk-alerts" style="list-style:none;padding:0;margin:0"></ol>
        <p id="risk-no-alerts" class="muted" hidden>No alerts concern this lender.</p>
      </div>`);
    const form = section.querySelector("#risk-form");
    form.addEventListener("submit", (e) => { e.preventDefault(); load(); });
    if (who.restore()) load();
  }

  async function load() {
    const stress = Number(document.getElementById("risk-stress").value) || 1.5;
    document.getElementById("risk-error").hidden = true;
    try {
      const { address: lender, key } = who.read();
      const base = `/lenders/${encodeURIComponent(lender)}`;
      const [report, alerts] = await Promise.all([
        fetchJSON(`${base}/portfolio?stress=${stress}`, key),
        fetchJSON(`${base}/alerts?limit=50`, key),
      ]);
      render(report, alerts.items || []);
    } catch (e) { fail(e.message); }
  }

  const fail = (message) => showError("risk-error", message, "risk-body");

  function render(report, alerts) {
    const s = report.stress;
    document.getElementById("risk-summary").innerHTML =
      `<b>${count(report.loans)}</b> loan${report.loans === 1 ? "" : "s"} outstanding, exposure <b>${money(report.exposure_cents)}</b>. ` +
      `Expected 12-month loss ${money(s.baseline.expected_loss_cents)} (${(s.baseline.loss_rate * 100).toFixed(2)}%); ` +
      `stressed ×${s.stressed.factor}: <b>${money(s.stressed.expected_loss_cents)}</b> ` +
      `(${(s.stressed.loss_rate * 100).toFixed(2)}%). ` +
      `<span class="hint">Branded collateral: ${report.branded_collateral.loans} loans.</span>`;
    document.getElementById("risk-chart").innerHTML = chart(report.buckets);
    const list = document.getElementById("risk-alerts");
    list.innerHTML = alerts.map(alertItem).join("");
    document.getElementById("risk-no-alerts").hidden = alerts.length > 0;
    list.querySelectorAll("a[data-vin]").forEach((a) => a.addEventListener("click", (e) => {
      e.preventDefault();
      const input = document.getElementById("vin");
      if (input && input.form) { input.value = a.dataset.vin; input.form.requestSubmit(); window.scrollTo(0, 0); }
    }));
    document.getElementById("risk-body").hidden = false;
  }

  const chart = (buckets) => barChart(BUCKETS, buckets, {
    value: (v) => v.exposure_cents,
    title: (b, v) => `${b}: ${v.loans} loans, exposure ${money(v.exposure_cents)}, past due ${money(v.past_due_cents)}`,
    ariaLabel: "Exposure by delinquency bucket (bar height) and loan counts (labels)",
  });

  function alertItem(a) {
    const color = SEVERITY[a.severity] || "#6b7685";
    const tx = a.tx_hash ? txLink(cfg.txLinkBase, a.tx_hash) : "";
    return `<li style="padding:8px 0;border-bottom:1px solid var(--line)">
      <span class="tag" style="background:${color};color:#fff">${esc(a.severity)}</span>
      <span class="kind">${esc(label(a.kind))}</span>
      <a href="#" data-vin="${esc(a.vin)}"><code>${esc(a.vin)}</code></a>
      <span class="hint">block ${esc(a.block_number)} · ${esc(when(a.time))}</span> ${tx}
      <div>${esc(a.message)}</div></li>`;
  }

  window.registryUI.ready(build);
})();
