// The alert list, kept live: new alerts arrive over /ws/noc/ and are added at the top.
//
// Runs only on a list page that asks for it (the first page: `data-live-alerts` on the
// table). A browser cannot set headers on a WebSocket, so the page first asks
// /api/v1/auth/ws-ticket/ for a single-use ticket with its session (and CSRF token), then
// connects with `?ticket=`. The server already drops events about sites this person may
// not see; here only the list's own filters are applied. Rows are built with DOM calls
// (textContent), never from HTML strings.
"use strict";

(function () {
  const table = document.querySelector("table[data-live-alerts]");
  if (!table || !window.WebSocket || !window.fetch) {
    return;
  }
  const body = table.tBodies[0];
  const filters = {
    status: table.dataset.filterStatus || "",
    severity: table.dataset.filterSeverity || "",
    site: table.dataset.filterSite || "",
  };
  // Display names of types, severities and statuses as the server renders them, and the open statuses.
  const LABELS = JSON.parse(table.dataset.labels || "{}");
  const OPEN = LABELS.open || [];
  let retryDelay = 2000;

  function matches(alert) {
    if (filters.status === "open" && OPEN.indexOf(alert.status) < 0) return false;
    if (filters.status && filters.status !== "open" && alert.status !== filters.status) return false;
    if (filters.severity && alert.severity !== filters.severity) return false;
    if (filters.site && String(alert.site_id) !== filters.site) return false;
    return true;
  }

  function formatTime(iso) {
    const when = new Date(iso);
    if (isNaN(when.getTime())) return "";
    const parts = {};
    const format = new Intl.DateTimeFormat("en-GB", {
      timeZone: table.dataset.tz || "UTC",
      year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    });
    format.formatToParts(when).forEach(function (part) { parts[part.type] = part.value; });
    return parts.year + "-" + parts.month + "-" + parts.day + " " + parts.hour + ":" + parts.minute;
  }

  function cell(row, text, className) {
    const td = row.insertCell();
    td.textContent = text;
    if (className) td.className = className;
    return td;
  }

  function label(kind, value) {
    return (LABELS[kind] && LABELS[kind][value]) || String(value || "");
  }

  function addAlert(alert) {
    const id = Number(alert.id);
    if (!Number.isInteger(id) || id <= 0 || !matches(alert) || document.getElementById("alert-" + id)) return;
    const severity = String(alert.severity || "").toLowerCase();
    const row = document.createElement("tr");
    row.id = "alert-" + id;
    row.className = "fresh sev-" + severity;

    const badge = document.createElement("span");
    badge.className = "badge sev-" + severity;
    badge.textContent = label("severity", alert.severity);
    row.insertCell().appendChild(badge);
    cell(row, label("status", alert.status), "status");
    const link = document.createElement("a");
    link.href = "/noc/alerts/" + id + "/";
    link.textContent = alert.title;
    row.insertCell().appendChild(link);
    cell(row, alert.site_code || "—", "nowrap");
    cell(row, label("type", alert.type));
    cell(row, formatTime(alert.first_seen_at), "nowrap");
    cell(row, formatTime(alert.last_seen_at), "nowrap");
    cell(row, String(alert.occurrences), "num");
    cell(row, alert.assigned_to ? alert.assigned_to.name : "—");

    const empty = body.querySelector("tr.empty");
    if (empty) empty.remove();
    body.insertBefore(row, body.firstChild);
  }

  function retry() {
    window.setTimeout(connect, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 60000);
  }

  function connect() {
    fetch(table.dataset.wsTicketUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": table.dataset.csrf, Accept: "application/json" },
    })
      .then(function (response) {
        if (!response.ok) throw new Error("ws ticket: HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
        const socket = new WebSocket(scheme + window.location.host + "/ws/noc/?ticket=" + encodeURIComponent(data.ticket));
        socket.addEventListener("open", function () {
          retryDelay = 2000;
          table.dataset.liveState = "connected";
        });
        socket.addEventListener("message", function (event) {
          let message;
          try {
            message = JSON.parse(event.data);
          } catch (error) {
            return;
          }
          if (message && message.type === "alert.created" && message.payload) addAlert(message.payload);
        });
        socket.addEventListener("close", function (event) {
          table.dataset.liveState = "closed";
          // 4401/4403: signed out or no longer allowed; the page itself will say so on reload.
          if (event.code !== 4401 && event.code !== 4403) retry();
        });
      })
      .catch(retry);
  }

  connect();
})();
