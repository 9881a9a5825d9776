// The desk thread, live: a websocket brings each new message; while it is open the htmx poller
// (the fallback where websockets are blocked) stays quiet. A reconnect asks for the messages
// after the last one shown, so nothing is lost; the same message never shows twice.
(function () {
  "use strict";
  // Loaded again by each boosted visit to a thread: one set of listeners, one socket.
  if (window.statusdeskDesk) { window.statusdeskDesk.connect(); return; }
  var socket = null;
  var retry = 1000;

  function box() { return document.getElementById("desk-messages"); }
  function thread() { return document.querySelector("[data-testid=desk-thread]"); }
  function status(text) {
    var el = document.getElementById("desk-live");
    if (el) { el.textContent = text; }
  }

  function lastId() {
    var items = document.querySelectorAll("#desk-messages [data-message-id]");
    var last = 0;
    items.forEach(function (item) { last = Math.max(last, Number(item.dataset.messageId)); });
    return last;
  }

  function syncPoller() {
    var poller = document.getElementById("desk-poller");
    if (!poller) { return; }
    var url = poller.getAttribute("hx-get").replace(/since=\d+/, "since=" + lastId());
    poller.setAttribute("hx-get", url);
    if (window.htmx) { window.htmx.process(poller); }
  }

  function show(html) {
    var list = box();
    if (!list) { return; }
    var holder = document.createElement("template");
    holder.innerHTML = html.trim();
    var item = holder.content.firstElementChild;
    if (!item || document.getElementById(item.id)) { return; }
    list.appendChild(item);
    item.scrollIntoView({ block: "nearest" });
  }

  function connect() {
    if (socket) { socket.onclose = null; socket.close(); socket = null; }
    var el = thread();
    if (!el || !box() || !("WebSocket" in window)) { return; }
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + el.dataset.socket + "?since=" + lastId());
    socket.onopen = function () { retry = 1000; el.dataset.live = "open"; status("Live."); };
    socket.onmessage = function (event) {
      var data = JSON.parse(event.data);
      if (data.type === "message") { show(data.html); syncPoller(); }
    };
    socket.onclose = function (event) {
      el.dataset.live = "closed";
      socket = null;
      if (event.code === 4404) { status("This thread is not yours to read any more."); return; }
      status("Reconnecting… (updates every few seconds meanwhile)");
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    };
  }

  // While the socket is open the poller does not ask; the messages it brings are de-duplicated.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (elt && elt.id === "desk-poller" && socket && socket.readyState === 1) {
      event.preventDefault();
    }
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    var elt = event.detail && event.detail.elt;
    if (elt && elt.id === "desk-poller") {
      var holder = document.createElement("template");
      holder.innerHTML = event.detail.serverResponse;
      holder.content.querySelectorAll("[data-message-id]").forEach(function (item) {
        if (document.getElementById(item.id)) { item.remove(); }
      });
      event.detail.serverResponse = holder.innerHTML;
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail && event.detail.elt;
    if (form && form.id === "desk-form" && event.detail.successful) { form.reset(); }
  });

  window.statusdeskDesk = { connect: connect };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", connect);
  } else {
    connect();
  }
})();
