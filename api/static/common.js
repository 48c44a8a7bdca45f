// The helpers every panel of the page shares (escaping, formats, the API call with a key,
// error display, the bar chart). Plain JS, no build step; loaded before the panels, which
// read it as window.registryUI.
"use strict";
(function () {
  const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) =>
    ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  const short = (h) => (h && h.length > 14 ? h.slice(0, 8) + "…" + h.slice(-6) : h || "");
  const label = (s) => String(s || "").replace(/_/g, " ");
  const words = (s) => label(s).toLowerCase();
  const when = (t) => (t ? new Date(t * 1000).toISOString().replace("T", " ").slice(0, 16) + " UTC" : "–");
  const day = (t) => (t ? new Date(t * 1000).toISOString().slice(0, 10) : "–");
  const count = (n) => Number(n || 0).toLocaleString("en-US");
  const money = (cents, digits = 0) => (Number(cents || 0) / 100).toLocaleString("en-US",
    { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
  // Colours best first, for the buckets/steps of a chart and for alert severities.
  const COLORS = ["#1e7d46", "#c9a100", "#e07b00", "#d0461f", "#8e1b12"];
  const severityColors = (severities) => Object.fromEntries(severities.map((s, i) =>
    [s, ["#6b7685", "#b26a00", "#d0461f", "#8e1b12"][i]]));
  // The style of a panel's form fields, and its address and API key inputs.
  const FIELD = "text-transform:none;letter-spacing:0;font-size:14px";
  const addressInput = (id, who) => `<input id="${id}" placeholder="${who} address 0x…" aria-label="${who} address"
               style="${FIELD};min-width:320px">`;
  const keyInput = (id) => `<input id="${id}" type="password" placeholder="API key" aria-label="API key"
               style="${FIELD};max-width:220px">`;
  const txLink = (base, h) => `<a class="hash" href="${esc(base + h)}" title="${esc(h)}">${esc(short(h))}</a>`;

  // A JSON request; with a key, as its bearer. A refusal throws an Error with the API's
  // message, its HTTP status and error code.
  async function fetchJSON(path, key, init = {}) {
    const headers = { Accept: "application/json", ...(init.headers || {}) };
    if (key) headers.Authorization = "Bearer " + key;
    const r = await fetch(path, { ...init, headers });
    const body = await r.json().catch(() => ({}));
    if (!r.ok) {
      const e = (body && body.error) || {};
      throw Object.assign(new Error(e.message || `request failed (${r.status})`), { status: r.status, code: e.code });
    }
    return body;
  }

  // A panel's address and API key inputs, kept in the session for the next visit: fields
  // { address: [input id, storage key], key: [input id, storage key], role, holders }.
  function credentials(fields) {
    const [addressId, addressItem] = fields.address, [keyId, keyItem] = fields.key;
    const store = window.sessionStorage;
    return {
      // Fills the inputs from the session; true when both were kept.
      restore() {
        document.getElementById(addressId).value = store.getItem(addressItem) || "";
        document.getElementById(keyId).value = store.getItem(keyItem) || "";
        return Boolean(store.getItem(addressItem) && store.getItem(keyItem));
      },
      // The address and key typed (kept for the next visit), or an Error saying what is missing.
      read() {
        const address = document.getElementById(addressId).value.trim();
        const key = document.getElementById(keyId).value.trim();
        if (!ADDRESS.test(address)) throw new Error(`Enter the ${fields.role}'s address (0x and 40 hex digits).`);
        if (!key) throw new Error(`Enter an API key of ${fields.holders}.`);
        store.setItem(addressItem, address);
        store.setItem(keyItem, key);
        return { address, key };
      },
    };
  }

  // A panel's own card, added to the page's main.
  function addSection(id, html) {
    const section = document.createElement("section");
    section.id = id;
    section.className = "card";
    section.innerHTML = html;
    (document.querySelector("main") || document.body).appendChild(section);
    return section;
  }

  // Shows the message in the error element; hides the result elements named.
  function showError(errorId, message, ...hideIds) {
    const err = document.getElementById(errorId);
    err.textContent = message;
    err.hidden = false;
    for (const id of hideIds) document.getElementById(id).hidden = true;
  }

  // A bar chart: one bar a key (height value(v), count on top, key below, the title on hover).
  function barChart(keys, values, { value, title, ariaLabel }) {
    const w = 520, h = 190, pad = 30, bw = (w - pad * 2) / keys.length;
    const max = Math.max(1, ...keys.map((k) => value(values[k])));
    const bars = keys.map((k, i) => {
      const v = values[k], bh = Math.round((value(v) / max) * (h - 60));
      const x = pad + i * bw + 8, y = h - 30 - bh;
      return `<rect x="${x}" y="${y}" width="${bw - 16}" height="${bh}" fill="${COLORS[i]}" rx="3">
          <title>${esc(title(k, v))}</title></rect>
        <text x="${x + (bw - 16) / 2}" y="${y - 6}" text-anchor="middle">${count(v.loans)}</text>
        <text x="${x + (bw - 16) / 2}" y="${h - 12}" text-anchor="middle">${esc(k)}</text>`;
    }).join("");
    return `<svg viewBox="0 0 ${w} ${h}" width="100%" style="max-width:${w}px" role="img"
      aria-label="${esc(ariaLabel)}">${bars}</svg>`;
  }

  function ready(fn) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
    else fn();
  }

  window.registryUI = {
    esc, short, label, words, when, day, count, money, ADDRESS, COLORS, severityColors, txLink,
    FIELD, addressInput, keyInput,
    fetchJSON, credentials, addSection, showError, barChart, ready,
  };
})();
