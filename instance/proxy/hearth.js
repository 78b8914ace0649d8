/* hearth.js: the Data System, realtime events and the app's token, for apps on Hearth.
 * Served by the instance at /hearth.js. The page's window.hearth (set by the instance before
 * any script runs) holds {instance, app, token, expires_at}; this script adds:
 *   hearth.token()                       -> Promise<string>, renewed before it expires
 *   hearth.data(doctype)                 -> {get, put, post, delete, find, changes, all}
 *   hearth.realtime(doctype, onEvent)    -> {close()}; onEvent({event, type, id, rev, doc})
 * ES2017, no dependencies. */
(function () {
  "use strict";
  var cfg = window.hearth || {};
  var state = { token: cfg.token || null, expiresAt: cfg.expires_at || 0, renewing: null };
  var instance = String(cfg.instance || location.origin).replace(/\/+$/, "");
  var RENEW_MARGIN = 30; // seconds before expiry

  function HearthError(status, body) {
    var e = new Error((body && (body.reason || body.error)) || ("HTTP " + status));
    e.status = status;
    e.body = body;
    return e;
  }

  async function renew() {
    if (!state.renewing) {
      state.renewing = (async function () {
        var res = await fetch(instance + "/apps/" + encodeURIComponent(cfg.app) + "/token",
          { credentials: "include", cache: "no-store" });
        if (!res.ok) throw HearthError(res.status, null);
        var body = await res.json();
        state.token = body.token;
        state.expiresAt = body.expires_at || 0;
        return state.token;
      })();
      state.renewing.then(function () { state.renewing = null; }, function () { state.renewing = null; });
    }
    return state.renewing;
  }

  async function token() {
    var now = Date.now() / 1000;
    if (state.token && (!state.expiresAt || state.expiresAt - RENEW_MARGIN > now)) return state.token;
    return renew();
  }

  async function request(method, path, body, retried) {
    var headers = { Accept: "application/json", Authorization: "Bearer " + (await token()) };
    var init = { method: method, headers: headers, cache: "no-store" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    var res = await fetch(instance + path, init);
    if (res.status === 401 && !retried) {
      await renew();
      return request(method, path, body, true);
    }
    var text = await res.text();
    var data = text ? JSON.parse(text) : null;
    if (!res.ok) throw HearthError(res.status, data);
    return data;
  }

  function query(params) {
    var keys = Object.keys(params || {}).filter(function (k) { return params[k] !== undefined; });
    if (!keys.length) return "";
    return "?" + keys.map(function (k) {
      var v = params[k];
      return encodeURIComponent(k) + "=" + encodeURIComponent(typeof v === "string" ? v : JSON.stringify(v));
    }).join("&");
  }

  function data(doctype) {
    var base = "/data/" + encodeURIComponent(doctype) + "/";
    var doc = function (id) { return base + encodeURIComponent(id); };
    return {
      get: function (id, params) { return request("GET", doc(id) + query(params)); },
      post: function (d) { return request("POST", base, d); },
      put: function (d) { return request("PUT", doc(d._id), d); },
      delete: function (d, rev) {
        var id = typeof d === "string" ? d : d._id;
        return request("DELETE", doc(id) + query({ rev: rev || d._rev }));
      },
      all: function (params) {
        return request("GET", base + "_all_docs" + query(Object.assign({ include_docs: true }, params)));
      },
      find: function (q) { return request("POST", base + "_find", q); },
      changes: function (params) { return request("GET", base + "_changes" + query(params)); }
    };
  }

  function realtime(doctype, onEvent) {
    var closed = false, ws = null, delay = 1000;
    function connect() {
      ws = new WebSocket(instance.replace(/^http/, "ws") + "/realtime");
      ws.onopen = async function () {
        try {
          ws.send(JSON.stringify({ method: "AUTH", payload: await token() }));
          ws.send(JSON.stringify({ method: "SUBSCRIBE", payload: { type: doctype } }));
          delay = 1000;
        } catch (e) { ws.close(); }
      };
      ws.onmessage = function (m) {
        var msg;
        try { msg = JSON.parse(m.data); } catch (e) { return; }
        if (msg.event === "SUBSCRIBED") return;
        onEvent(Object.assign({ event: msg.event }, msg.payload || {}));
      };
      ws.onclose = function () {
        if (closed) return;
        setTimeout(function () { renew().catch(function () {}).then(connect); }, delay);
        delay = Math.min(delay * 2, 30000);
      };
    }
    connect();
    return { close: function () { closed = true; if (ws) ws.close(); } };
  }

  window.hearth = Object.assign(cfg, { token: token, data: data, realtime: realtime, instance: instance });
})();
