// The lender's risk panel: alerts and a bucket chart, read with the lender's (or an
// auditor's) API key. Plain JS, no build step; it adds its own section to the page.
"use strict";
(function () {
  const cfg = window.REGISTRY_CONFIG;
  // The vocabularies come from the server (/config.js, from registry/enums.py), best first:
  // the colours below follow their order.
  const BUCKETS = cfg.enums.buckets;
  const COLORS = ["#1e7d46", "#c9a100", "#e07b00", "#d0461f", "#8e1b12"];
  const SEVERITY = Object.fromEntries(cfg.enums.severities.map((s, i) =>
    [s, ["#6b7685", "#b26a00", "#d0461f", "#8e1b12"][i]]));
  const store = window.sessionStorage;
  const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) =>
    ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  const money = (cents) => (Number(cents || 0) / 100).toLocaleString("en-US",
    { minimumFractionDigits: 0, maximumFractionDigits: 0 });
  const when = (t) => (t ? new Date(t * 1000).toISOString().replace("T", " ").slice(0, 16) + " UTC" : "–");
  const short = (h) => (h && h.length > 14 ? h.slice(0, 8) + "…" + h.slice(-6) : h || "");
  const label = (s) => String(s || "").replace(/_/g, " ");

  function build() {
    const section = document.createElement("section");
    section.id = "risk";
    section.className = "card";
    section.innerHTML = `
      <h2>Lender risk <span class="hint">alerts and delinquency, for a lender or auditor key</span></h2>
      <form id="risk-form" autocomplete="off" style="flex-wrap:wrap;max-width:none">
        <input id="risk-lender" placeholder="Lender address 0x…" aria-label="Lender address"
               style="text-transform:none;letter-spacing:0;font-size:14px;min-width:320px">
        <input id="risk-key" type="password" placeholder="API key" aria-label="API key"
               style="text-transform:none;letter-spacing:0;font-size:14px;max-width:220px">
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
      </div>`;
    (document.querySelector("main") || document.body).appendChild(section);
    const form = section.querySelector("#risk-form");
    document.getElementById("risk-lender").value = store.getItem("risk.lender") || "";
    document.getElementById("risk-key").value = store.getItem("risk.key") || "";
    form.addEventListener("submit", (e) => { e.preventDefault(); load(); });
    if (store.getItem("risk.lender") && store.getItem("risk.key")) load();
  }

  async function getJSON(path, key) {
    const r = await fetch(path, { headers: { Accept: "application/json", Authorization: "Bearer " + key } });
    const body = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error((body.error && body.error.message) || `request failed (${r.status})`);
    return body;
  }

  async function load() {
    const lender = document.getElementById("risk-lender").value.trim();
    const key = document.getElementById("risk-key").value.trim();
    const stress = Number(document.getElementById("risk-stress").value) || 1.5;
    const err = document.getElementById("risk-error");
    err.hidden = true;
    if (!/^0x[0-9a-fA-F]{40}$/.test(lender)) { return fail("Enter the lender's address (0x and 40 hex digits)."); }
    if (!key) { return fail("Enter an API key of that lender, an auditor or the registrar."); }
    store.setItem("risk.lender", lender);
    store.setItem("risk.key", key);
    try {
      const base = `/lenders/${encodeURIComponent(lender)}`;
      const [report, alerts] = await Promise.all([
        getJSON(`${base}/portfolio?stress=${stress}`, key),
        getJSON(`${base}/alerts?limit=50`, key),
      ]);
      render(report, alerts.items || []);
    } catch (e) { fail(e.message); }
  }

  function fail(message) {
    const err = document.getElementById("risk-error");
    err.textContent = message;
    err.hidden = false;
    document.getElementById("risk-body").hidden = true;
  }

  function render(report, alerts) {
    const s = report.stress;
    document.getElementById("risk-summary").innerHTML =
      `<b>${report.loans.toLocaleString("en-US")}</b> loan${report.loans === 1 ? "" : "s"} outstanding, exposure <b>${money(report.exposure_cents)}</b>. ` +
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

  function chart(buckets) {
    const w = 520, h = 190, pad = 30, bw = (w - pad * 2) / BUCKETS.length;
    const max = Math.max(1, ...BUCKETS.map((b) => buckets[b].exposure_cents));
    const bars = BUCKETS.map((b, i) => {
      const v = buckets[b], bh = Math.round((v.exposure_cents / max) * (h - 60));
      const x = pad + i * bw + 8, y = h - 30 - bh;
      return `<rect x="${x}" y="${y}" width="${bw - 16}" height="${bh}" fill="${COLORS[i]}" rx="3">
          <title>${esc(b)}: ${v.loans} loans, exposure ${money(v.exposure_cents)}, past due ${money(v.past_due_cents)}</title></rect>
        <text x="${x + (bw - 16) / 2}" y="${y - 6}" text-anchor="middle">${v.loans.toLocaleString("en-US")}</text>
        <text x="${x + (bw - 16) / 2}" y="${h - 12}" text-anchor="middle">${esc(b)}</text>`;
    }).join("");
    return `<svg viewBox="0 0 ${w} ${h}" width="100%" style="max-width:${w}px" role="img"
      aria-label="Exposure by delinquency bucket (bar height) and loan counts (labels)">${bars}</svg>`;
  }

  function alertItem(a) {
    const color = SEVERITY[a.severity] || "#6b7685";
    const tx = a.tx_hash ? `<a class="hash" href="${esc(cfg.txLinkBase + a.tx_hash)}" title="${esc(a.tx_hash)}">${esc(short(a.tx_hash))}</a>` : "";
    return `<li style="padding:8px 0;border-bottom:1px solid var(--line)">
      <span class="tag" style="background:${color};color:#fff">${esc(a.severity)}</span>
      <span class="kind">${esc(label(a.kind))}</span>
      <a href="#" data-vin="${esc(a.vin)}"><code>${esc(a.vin)}</code></a>
      <span class="hint">block ${esc(a.block_number)} · ${esc(when(a.time))}</span> ${tx}
      <div>${esc(a.message)}</div></li>`;
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", build);
  else build();
})();
