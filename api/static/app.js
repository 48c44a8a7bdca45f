// The title-check page: plain JS, no build step. Talks to the API on the same origin.
"use strict";
(function () {
  const cfg = window.REGISTRY_CONFIG || { txLinkBase: "#tx/" };
  const $ = (id) => document.getElementById(id);
  let current = null; // { vin, doc, events, cursor }
  let names = {}; // lowercase address -> participant name, loaded once

  async function loadNames() {
    try {
      const r = await fetch("/participants?include_removed=true");
      if (!r.ok) return;
      for (const p of (await r.json()).items) if (p.name) names[p.address.toLowerCase()] = p.name;
    } catch (_) { /* names are a nicety: addresses still show */ }
  }
  const who = (a) => (a && names[a.toLowerCase()]
    ? `<strong>${esc(names[a.toLowerCase()])}</strong> <span class="addr muted">${esc(short(a))}</span>`
    : `<span class="addr">${esc(a || "–")}</span>`);

  const { esc, short, when } = window.registryUI;
  const label = window.registryUI.words;
  const txLink = (h) => window.registryUI.txLink(cfg.txLinkBase, h);
  const getJSON = (path) => window.registryUI.fetchJSON(path);

  function showError(message) {
    $("result").hidden = true;
    $("error").textContent = message;
    $("error").hidden = false;
  }

  function banner(cert) {
    const s = cert.summary, n = cert.liens.length;
    const brands = cert.brands.map((b) => label(b.brand)).join(", ");
    const texts = {
      clean: ["Clean title", "No active liens, no brands, no open total loss."],
      encumbered: [`Encumbered: ${n} active lien${n === 1 ? "" : "s"}`,
        "Lienholder: " + cert.liens.map((l) => l.holder_name || l.holder).join(", ")],
      branded: ["Branded title: " + brands, n ? `Also ${n} active lien${n === 1 ? "" : "s"}.` : "Brands are permanent history."],
      total_loss: ["Total loss", "Declared a total loss by its insurer" + (brands ? " — branded " + brands : "")],
    };
    const [big, small] = texts[s.verdict] || [label(s.verdict), "Title status: " + label(cert.title.status)];
    $("banner").className = "banner " + s.verdict;
    $("banner").innerHTML = `${esc(big)}<small>${esc(small)}</small>`;
  }

  // What the VIN itself encodes (decoded by the server from the VIN alone, outside the certificate).
  function vehicle(v) {
    if (!v) return "–";
    const place = [v.country, v.region].filter((s) => s && s !== "unknown").join(", ") || "unknown origin";
    const years = v.model_years.length ? v.model_years.join(" or ") : "unknown";
    return `<span id="vehicle"><strong>${esc(v.manufacturer)}</strong> · ${esc(place)} · model year ${esc(years)}</span>
      <br><span id="vehicle-note" class="muted">${esc(v.model_year_note)}. Decoded from the VIN alone: not part of the certificate.</span>`;
  }

  function renderTitle(doc) {
    const c = doc.certificate, f = doc.freshness;
    $("title").innerHTML = [
      ["VIN", `<code>${esc(c.vin)}</code>`],
      ["Vehicle", vehicle(doc.vehicle)],
      ["Owner", `<span class="addr">${esc(c.title.owner)}</span>`],
      ["Status", esc(label(c.title.status))],
      ["Odometer", `${Number(c.odometer.reading).toLocaleString("en-US")}${c.odometer.not_actual ? " (not actual)" : ""}`],
      ["As of block", `${c.block.number} <span class="hash" title="${esc(c.block.hash)}">${esc(short(c.block.hash))}</span>`],
      ["Certificate", `<span class="hash" title="${esc(doc.certificate_id)}">${esc(short(doc.certificate_id))}</span>`],
    ].map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join("");
    $("stale").hidden = !f.stale;
    if (f.stale) {
      $("stale").textContent = f.chain_reachable
        ? `The mirror is ${f.lag} blocks behind the chain head: this answer may be out of date.`
        : "The chain node cannot be reached: this answer comes from the mirror and may be out of date.";
    }
  }

  function renderLiens(c) {
    $("liens").querySelector("tbody").innerHTML = c.liens.map((l) => `<tr>
      <td>${l.priority}</td>
      <td><strong>${esc(l.holder_name || "unnamed lender")}</strong><br><span class="addr">${esc(l.holder)}</span></td>
      <td>${l.floor_plan ? '<span class="tag fp">floor plan</span>' : '<span class="tag">loan</span>'}${l.pledged_to ? ` <span class="tag pledged" title="pledged to ${esc(l.pledged_to)}">pledged</span>` : ""}</td>
      <td>${esc(when(l.registered_at))}<br><span class="muted">block ${l.registered_block}</span></td>
      <td>${txLink(l.tx_hash)}</td></tr>`).join("");
    $("liens").hidden = c.liens.length === 0;
    $("no-liens").hidden = c.liens.length !== 0;
  }

  function renderBrands(c) {
    $("brands").innerHTML = c.brands.map((b) => `<li><span class="tag b">${esc(label(b.brand))}</span>
      ${esc(when(b.time))} by ${who(b.applied_by)} — ${txLink(b.tx_hash)}</li>`).join("");
    $("no-brands").hidden = c.brands.length !== 0;
  }

  function renderChart(readings) {
    const el = $("chart");
    if (!readings.length) { el.innerHTML = '<p class="muted">No readings.</p>'; return; }
    const W = 460, H = 180, P = 40;
    const max = Math.max(...readings.map((r) => r.reading), 1);
    const n = readings.length;
    const x = (i) => P + (n === 1 ? (W - 2 * P) / 2 : (i * (W - 2 * P)) / (n - 1));
    const y = (v) => H - P + 10 - (v / max) * (H - P - 10);
    const pts = readings.map((r, i) => `${x(i).toFixed(1)},${y(r.reading).toFixed(1)}`).join(" ");
    const dots = readings.map((r, i) => `<circle cx="${x(i).toFixed(1)}" cy="${y(r.reading).toFixed(1)}" r="4"
      fill="${r.not_actual ? "#b3261e" : "#2680c2"}" class="reading"><title>${r.reading} at block ${r.block}</title></circle>
      <text class="reading-label" x="${x(i).toFixed(1)}" y="${(y(r.reading) - 8).toFixed(1)}" text-anchor="middle">${r.reading.toLocaleString("en-US")}</text>`).join("");
    el.innerHTML = `<svg id="odometer-chart" viewBox="0 0 ${W} ${H}" width="100%" role="img"
      aria-label="odometer readings">
      <line x1="${P}" y1="${H - P + 10}" x2="${W - P}" y2="${H - P + 10}" stroke="#ccd"/>
      <line x1="${P}" y1="10" x2="${P}" y2="${H - P + 10}" stroke="#ccd"/>
      <text x="2" y="16">${max.toLocaleString("en-US")}</text><text x="2" y="${H - P + 10}">0</text>
      <polyline points="${pts}" fill="none" stroke="#2680c2" stroke-width="2"/>${dots}
      <text x="${P}" y="${H - 8}">block ${readings[0].block}</text>
      <text x="${W - P - 60}" y="${H - 8}">block ${readings[n - 1].block}</text></svg>`;
  }

  const tl = window.registryTimeline; // timeline.js: as-of, event details, downloads

  function renderEvents(events, append) {
    const html = events.map((e) => tl.item(e, when, who, txLink)).join("");
    if (append) $("timeline").insertAdjacentHTML("beforeend", html); else $("timeline").innerHTML = html;
  }

  async function loadHistory(vin, cursor) {
    const q = cursor ? `?cursor=${encodeURIComponent(cursor)}` : "";
    const page = await getJSON(tl.withAt(`/vehicles/${encodeURIComponent(vin)}/history${q}`));
    current.events = (cursor ? current.events : []).concat(page.events);
    current.cursor = page.next_cursor;
    renderEvents(page.events, Boolean(cursor));
    $("more").hidden = !page.next_cursor;
  }

  async function check(raw) {
    const vin = raw.trim().toUpperCase();
    $("error").hidden = true;
    if (!vin) { showError("Enter a VIN."); return; }
    try {
      const doc = await getJSON(tl.withAt(`/vehicles/${encodeURIComponent(vin)}/title-check`));
      current = { vin: doc.certificate.vin, doc, events: [], cursor: null };
      banner(doc.certificate); renderTitle(doc); renderLiens(doc.certificate); renderBrands(doc.certificate);
      tl.shown(current.vin, doc);
      $("tx").hidden = true;
      $("result").hidden = false;
      const [odo] = await Promise.all([
        getJSON(tl.withAt(`/vehicles/${encodeURIComponent(vin)}/odometer`)),
        loadHistory(vin, null),
      ]);
      renderChart(odo.readings);
      if (location.hash !== "#vin/" + vin) history.replaceState(null, "", "#vin/" + vin);
    } catch (err) {
      showError(err.status === 404 ? `No title found: ${err.message}` : err.message);
    }
  }

  function showTx(hash) {
    if (!current) return;
    const evs = current.events.filter((e) => e.tx_hash === hash);
    $("tx").innerHTML = `<strong>Transaction</strong> <code>${esc(hash)}</code><br>` + (evs.length
      ? evs.map((e) => `${esc(e.event)} in block ${e.block} (${esc(short(e.block_hash))}), log ${e.log_index}`).join("<br>")
      : "not in the loaded part of the timeline");
    $("tx").hidden = false;
    $("tx").scrollIntoView({ block: "nearest" });
  }

  function route() {
    const h = decodeURIComponent(location.hash.slice(1));
    if (h.startsWith("vin/")) { const v = h.slice(4); $("vin").value = v; if (!current || current.vin !== v) check(v); }
    else if (h.startsWith("tx/")) showTx(h.slice(3));
  }

  $("search").addEventListener("submit", (ev) => { ev.preventDefault(); check($("vin").value); });
  $("more").addEventListener("click", () => current && loadHistory(current.vin, current.cursor));
  $("download").addEventListener("click", () => {
    if (!current) return;
    const { certificate_id, certificate } = current.doc;
    const blob = new Blob([JSON.stringify({ certificate_id, certificate }, null, 2)], { type: "application/json" });
    const a = Object.assign(document.createElement("a"), {
      href: URL.createObjectURL(blob), download: `title-certificate-${certificate.vin}-${certificate.block.number}.json`,
    });
    a.click();
  });
  window.addEventListener("hashchange", route);
  loadNames().finally(route);
})();
