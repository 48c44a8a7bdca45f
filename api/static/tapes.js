// The loan-tape panel: a funder checks a lender's loan tape against the registry (POST /tapes) and show
// the pool report with its delinquency chart (GET /funders/{address}/pool/report), with a
// funder's (or an auditor's) API key. Plain JS, no build step; it adds its own section.
"use strict";
(function () {
  const cfg = window.REGISTRY_CONFIG;
  // Vocabularies from the server (/config.js, from registry/enums.py), in their order.
  const KINDS = cfg.enums.tapeExceptions;
  const STEPS = cfg.enums.delinquencySteps;
  const { esc, count, label, fetchJSON, addSection, showError, barChart, FIELD, addressInput, keyInput } =
    window.registryUI;
  const credentials = window.registryUI.credentials({ address: ["tape-address", "tapes.funder"],
    key: ["tape-key", "tapes.key"], role: "funder", holders: "that funder or an auditor" });
  const who = () => credentials.read();
  const money = (cents) => window.registryUI.money(cents, 2);
  const $ = (id) => document.getElementById(id);

  function build() {
    addSection("tapes", `
      <h2>Loan tape and pool report <span class="hint">check a lender's tape against the registry, for a funder or auditor key</span></h2>
      <form id="tape-form" autocomplete="off" style="flex-wrap:wrap;max-width:none">
        ${addressInput("tape-address", "Funder")}
        ${keyInput("tape-key")}
        <input id="tape-file" type="file" accept=".csv,text/csv" aria-label="Loan tape (CSV)"
               style="${FIELD}">
        <button type="submit" id="tape-check">Check tape</button>
        <button type="button" id="tape-report">Pool report</button>
      </form>
      <div id="tape-error" class="error" role="alert" hidden style="margin-top:12px"></div>
      <div id="tape-result" hidden>
        <p id="tape-summary"></p>
        <table id="tape-kinds"><thead><tr><th>Exception</th><th>Rows</th><th>Balance</th></tr></thead><tbody></tbody></table>
        <h3 style="font-size:16px;margin:16px 0 8px">Exceptions</h3>
        <ol id="tape-exceptions" style="list-style:none;padding:0;margin:0"></ol>
        <p id="tape-clean" class="muted" hidden>No exceptions: every row is what the registry says.</p>
      </div>
      <div id="tape-pool" hidden>
        <p id="tape-pool-summary"></p>
        <div id="tape-chart"></div>
        <p id="tape-trend" class="hint"></p>
      </div>`);
    credentials.restore();
    $("tape-form").addEventListener("submit", (e) => { e.preventDefault(); checkTape(); });
    $("tape-report").addEventListener("click", () => poolReport());
  }

  const fail = (message, hideId) => showError("tape-error", message, hideId);

  async function checkTape() {
    $("tape-error").hidden = true;
    try {
      const { address, key } = who();
      const file = $("tape-file").files[0];
      if (!file) throw new Error("Choose the lender's loan tape (a CSV file).");
      const params = new URLSearchParams({ funder: address, name: file.name });
      const result = await fetchJSON(`/tapes?${params}`, key,
        { method: "POST", body: file, headers: { "Content-Type": "text/csv" } });
      renderTape(result);
    } catch (e) { fail(e.message, "tape-result"); }
  }

  function renderTape(r) {
    const s = r.summary;
    $("tape-summary").innerHTML =
      `<b>${count(s.rows)}</b> rows (${money(s.balance_cents)}) as of block ${esc(r.block)}: ` +
      `<b>${count(s.clean_rows)}</b> clean, <b>${count(s.rows_with_exceptions)}</b> with ` +
      `${count(s.exceptions)} exceptions (${money(s.balance_with_exceptions_cents)}). ` +
      `<span class="hint">Result <code>${esc(r.id.slice(0, 18))}…</code></span>`;
    $("tape-kinds").querySelector("tbody").innerHTML = KINDS.filter((k) => s.by_kind[k].count)
      .map((k) => `<tr><td>${esc(label(k))}</td><td>${count(s.by_kind[k].count)}</td>` +
        `<td>${money(s.by_kind[k].balance_cents)}</td></tr>`).join("");
    const shown = r.exceptions.slice(0, 200);
    $("tape-exceptions").innerHTML = shown.map((e) =>
      `<li style="padding:6px 0;border-bottom:1px solid var(--line)"><span class="kind">${esc(label(e.kind))}</span>
        <code>${esc(e.vin)}</code> <span class="hint">loan ${esc(e.loan)}</span><div>${esc(e.message)}</div></li>`).join("") +
      (r.exceptions.length > shown.length ? `<li class="hint">… ${count(r.exceptions.length - shown.length)} more</li>` : "");
    $("tape-clean").hidden = r.exceptions.length > 0;
    $("tape-result").hidden = false;
  }

  async function poolReport() {
    $("tape-error").hidden = true;
    try {
      const { address, key } = who();
      renderPool(await fetchJSON(`/funders/${encodeURIComponent(address)}/pool/report`, key));
    } catch (e) { fail(e.message, "tape-pool"); }
  }

  function renderPool(p) {
    const o = p.outstanding;
    $("tape-pool-summary").innerHTML =
      `<b>${count(p.loans)}</b> loans pledged; outstanding <b>${count(o.loans)}</b> loans, ` +
      `<b>${money(o.balance_cents)}</b> of ${money(p.original_balance_cents)} original. ` +
      `Payoffs ${count(p.payoffs.loans)} (${count(p.prepayments.loans)} prepaid), charge-offs ` +
      `${count(p.charge_offs.loans)} (${money(p.charge_offs.amount_cents)}), net loss ratio ` +
      `<b>${(p.net_loss_ratio * 100).toFixed(2)}%</b>. <span class="hint">Collateral: ` +
      `${p.collateral_events.total_losses} total losses, ${p.collateral_events.brands} brands, ` +
      `${p.collateral_events.repossessions} repossessions.</span>`;
    $("tape-chart").innerHTML = chart(p.delinquency);
    $("tape-trend").textContent = p.trend.length ? "Trend: " + p.trend.map((m) =>
      `${m.month} ${money(m.balance_cents)} (30+ ${money(m.delinquent_30_plus_cents)})`).join(" · ") : "";
    $("tape-pool").hidden = false;
  }

  const chart = (steps) => barChart(STEPS, steps, {
    value: (v) => v.balance_cents,
    title: (s, v) => `${s} days past due: ${v.loans} loans, ${money(v.balance_cents)}`,
    ariaLabel: "Pool balance by days past due (bar height) and loan counts (labels)",
  });

  window.registryUI.ready(build);
})();
