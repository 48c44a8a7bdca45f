// As-of and the timeline's details: the date/time picker (the page answers as the register
// stood then), events that expand to their details, the history downloads. Plain JS, no build
// step; app.js asks window.registryAsOf() for the moment and window.registryTimeline to draw.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const { esc } = window.registryUI;

  // The picker holds a local date and time; the API takes an ISO-8601 instant in UTC.
  function asOf() {
    const value = $("asof").value;
    if (!value) return null;
    const moment = new Date(value);
    return isNaN(moment) ? null : moment.toISOString().replace(/\.\d{3}Z$/, "Z");
  }
  const withAt = (path) => {
    const at = asOf();
    return at ? path + (path.includes("?") ? "&" : "?") + "at=" + encodeURIComponent(at) : path;
  };

  function recheck() {
    if ($("vin").value.trim()) $("search").requestSubmit();
  }

  // One event of the timeline: its words, and its details folded under it.
  function item(e, when, who, txLink) {
    const details = (e.details || []).map((d) => `<dt>${esc(d.label)}</dt><dd>${esc(d.value)}</dd>`).join("");
    return `<li data-tx="${esc(e.tx_hash)}" data-event="${esc(e.event)}" tabindex="0">
      <span>${esc(when(e.time))}<br><span class="muted">block ${e.block} · log ${e.log_index}</span></span>
      <span class="kind">${esc(e.kind)}</span>
      <span><strong>${esc(e.summary || e.event)}</strong><br><span class="muted">${esc(e.event)} by</span> ${who(e.actor)}</span>
      <span>${txLink(e.tx_hash)}</span>
      <dl class="details" hidden>${details}</dl></li>`;
  }

  // What the page shows as of a moment: the block it reflects, and the download links.
  function shown(vin, doc) {
    const note = $("asof-note");
    note.hidden = !doc.as_of;
    if (doc.as_of) {
      note.textContent = `As the register stood at ${doc.as_of.requested}: block ${doc.as_of.block}` +
        ` (${new Date(doc.as_of.time * 1000).toISOString().replace("T", " ").slice(0, 19)} UTC).`;
    }
    const base = `/vehicles/${encodeURIComponent(vin)}/history/export`;
    $("export-csv").href = withAt(base + "?format=csv");
    $("export-json").href = withAt(base + "?format=json");
  }

  $("timeline").addEventListener("click", (ev) => {
    const li = ev.target.closest("li");
    if (!li || ev.target.closest("a")) return;
    const details = li.querySelector(".details");
    details.hidden = !details.hidden;
    li.classList.toggle("open", !details.hidden);
  });
  $("asof").addEventListener("change", recheck);
  $("asof-now").addEventListener("click", () => { $("asof").value = ""; recheck(); });

  window.registryAsOf = asOf;
  window.registryTimeline = { withAt, item, shown };
})();
