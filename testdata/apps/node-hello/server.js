// A tiny Hearth node app. It listens where the controller says (the unix socket in
// HEARTH_SOCKET, else the TCP port in PORT), answers GET / with a page, records each visit in
// the Data System at HEARTH_URL with the token in HEARTH_TOKEN, and shows the count.
"use strict";
const http = require("http");
const fs = require("fs");

const hearthURL = (process.env.HEARTH_URL || "").replace(/\/+$/, "");
const token = process.env.HEARTH_TOKEN || "";
const doctype = "io.hearth.hello.visits";

async function dataSystem(method, path, body) {
  const res = await fetch(`${hearthURL}/data/${doctype}/${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json();
  if (!res.ok) throw new Error(`Data System: ${res.status} ${data.reason || data.error || ""}`);
  return data;
}

function escapeHTML(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

async function home(res) {
  let visits;
  try {
    await dataSystem("POST", "", { at: new Date().toISOString() });
    visits = (await dataSystem("GET", "")).doc_count;
  } catch (err) {
    visits = `unknown (${err.message})`;
  }
  res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Hello</title></head>` +
    `<body><h1>Hello from Node.js</h1><p id="visits">Visits: ${escapeHTML(visits)}</p></body></html>`);
}

const server = http.createServer((req, res) => {
  const path = new URL(req.url, "http://localhost").pathname;
  if (req.method === "GET" && path === "/") {
    home(res);
  } else if (req.method === "GET" && path === "/healthz") {
    res.writeHead(200, { "Content-Type": "text/plain" });
    res.end("ok\n");
  } else {
    res.writeHead(404, { "Content-Type": "text/plain" });
    res.end("not found\n");
  }
});

const socket = process.env.HEARTH_SOCKET;
if (socket) {
  try { fs.unlinkSync(socket); } catch (err) { if (err.code !== "ENOENT") throw err; }
  server.listen(socket, () => console.log(`hello: listening on ${socket}`));
} else {
  const port = Number(process.env.PORT || 3000);
  server.listen(port, "127.0.0.1", () => console.log(`hello: listening on 127.0.0.1:${port}`));
}

for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => server.close(() => process.exit(0)));
