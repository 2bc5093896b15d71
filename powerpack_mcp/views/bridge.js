"use strict";
// The MCP Apps bridge shared by the views (protocol 2026-01-26): JSON-RPC 2.0 over
// postMessage with the host (our parent window), and the small DOM helpers both views use.
// Not served on its own: html() in __init__.py inlines it, as a <script>, at the marker
// comment in each view (BRIDGE_MARKER), so each view stays one self-contained document.
//
// A view calls McpAppsBridge.start(options) once, at the end of its own script:
//   name            appInfo.name sent in ui/initialize
//   onToolInput     function (arguments)  ui/notifications/tool-input
//   onToolResult    function (result)     ui/notifications/tool-result
//   onToolCancelled function (params)     ui/notifications/tool-cancelled
//   onTeardown      function ()           ui/resource-teardown, before it is answered
//   onStartFailed   function (error)      the host refused ui/initialize
// and McpAppsBridge.request(method, params) for its own calls (a Promise of the result).
// Helpers for both: $, setText (textContent only), show, plural, groupByCountryAndType.
// The theme from the host context, size reports, ping and unknown methods are the bridge's.
var McpAppsBridge = (function () {
  var PROTOCOL_VERSION = "2026-01-26";

  function $(id) { return document.getElementById(id); }
  function setText(id, value) { $(id).textContent = value == null ? "" : String(value); }
  function show(id, visible) { $(id).hidden = !visible; }
  function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }

  // Numbers in groups of one country and type: [{ country, type, items }], by country,
  // then fixed, mobile, toll-free, any other type. countryField names a number's country.
  var TYPE_ORDER = { "fixed": 0, "mobile": 1, "toll-free": 2 };
  function groupByCountryAndType(numbers, countryField) {
    var groups = {};
    var keys = [];
    numbers.forEach(function (n) {
      var country = n[countryField] || "";
      var key = country + "\u0000" + (n.type || "");
      if (!groups[key]) { groups[key] = { country: country, type: n.type || "", items: [] }; keys.push(key); }
      groups[key].items.push(n);
    });
    return keys.map(function (k) { return groups[k]; }).sort(function (a, b) {
      if (a.country !== b.country) return a.country < b.country ? -1 : 1;
      var ta = a.type in TYPE_ORDER ? TYPE_ORDER[a.type] : 9, tb = b.type in TYPE_ORDER ? TYPE_ORDER[b.type] : 9;
      return ta - tb;
    });
  }

  var nextId = 1;
  var pending = {};
  var view = null;

  function post(message) {
    message.jsonrpc = "2.0";
    // The host's origin is not known to a sandboxed (opaque-origin) view; the target is
    // fixed to our parent window, and only messages from it are read.
    window.parent.postMessage(message, "*");
  }
  function request(method, params) {
    var id = nextId++;
    return new Promise(function (resolve, reject) {
      pending[id] = { resolve: resolve, reject: reject };
      post({ id: id, method: method, params: params || {} });
    });
  }
  function notify(method, params) { post({ method: method, params: params || {} }); }

  function onMessage(event) {
    if (event.source !== window.parent) return;
    var msg = event.data;
    if (!msg || typeof msg !== "object" || msg.jsonrpc !== "2.0") return;
    if (msg.method === undefined && msg.id !== undefined) {
      var waiter = pending[msg.id];
      if (!waiter) return;
      delete pending[msg.id];
      if (msg.error) waiter.reject(new Error(String(msg.error.message || "request failed")));
      else waiter.resolve(msg.result);
      return;
    }
    if (typeof msg.method !== "string") return;
    if (msg.id !== undefined) { onRequest(msg); return; }
    onNotification(msg.method, msg.params || {});
  }

  function onRequest(msg) {
    if (msg.method === "ui/resource-teardown") {
      if (view.onTeardown) view.onTeardown();
      resizeObserver.disconnect();
      post({ id: msg.id, result: {} });
    } else if (msg.method === "ping") {
      post({ id: msg.id, result: {} });
    } else {
      post({ id: msg.id, error: { code: -32601, message: "Method not found: " + msg.method } });
    }
  }

  function onNotification(method, params) {
    var handler = null;
    if (method === "ui/notifications/tool-input") {
      if (view.onToolInput) view.onToolInput(params.arguments || {});
      return;
    }
    if (method === "ui/notifications/tool-result") handler = view.onToolResult;
    else if (method === "ui/notifications/tool-cancelled") handler = view.onToolCancelled;
    else if (method === "ui/notifications/host-context-changed") handler = applyHostContext;
    if (handler) handler(params);
  }

  function applyHostContext(context) {
    if (context && (context.theme === "light" || context.theme === "dark")) {
      document.documentElement.setAttribute("data-theme", context.theme);
    }
  }

  // The host sizes our frame from this; only the height, the width is the host's.
  var lastHeight = 0;
  function reportSize() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === lastHeight) return;
    lastHeight = height;
    notify("ui/notifications/size-changed", { height: height });
  }
  var resizeObserver = new ResizeObserver(reportSize);

  // ---- Start: ui/initialize, then ui/notifications/initialized ----
  function start(options) {
    if (view) throw new Error("McpAppsBridge.start: called twice");
    view = options;
    window.addEventListener("message", onMessage);
    request("ui/initialize", {
      appInfo: { name: String(options.name), version: "1" },
      appCapabilities: {},
      protocolVersion: PROTOCOL_VERSION
    }).then(function (result) {
      applyHostContext(result && result.hostContext);
      notify("ui/notifications/initialized", {});
      resizeObserver.observe(document.documentElement);
    }, function (error) {
      if (view.onStartFailed) view.onStartFailed(error);
    });
  }

  return {
    $: $, setText: setText, show: show, plural: plural,
    groupByCountryAndType: groupByCountryAndType,
    request: request, start: start
  };
})();
