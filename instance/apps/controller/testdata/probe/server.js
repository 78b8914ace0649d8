// A node app for the controller's tests. It listens on the unix socket in HEARTH_SOCKET and
// reports what it sees and may do:
//   GET /                 "probe ok"
//   GET /env              its environment, as JSON
//   GET /id               {uid, gid, pid, cwd}
//   GET /read?path=P      {ok: true} if it can read file P, else {code: "EACCES"…}
//   GET /list?path=P      {ok: true} if it can list directory P, else {code}
//   GET /write?path=P     {ok: true} if it can write file P, else {code}
//   GET /headers          the request's headers, as JSON
//   GET /big?kb=N         N KB of a repeated alphabet, with a Content-Length
//   GET /token            calls HEARTH_URL/whoami with HEARTH_TOKEN; answers its status and body
//   GET /crash            answers, then exits with status 3
//   GET /spawn            starts a detached child (a session of its own); answers its pid
//   GET /stream           writes "first\n" and keeps the response open until /stream-end
//   GET /limits           /proc/self/limits
//   GET /spin?ms=N        keeps a CPU busy for N ms of wall time; answers the CPU time it got
//   GET /hog?mb=N         fills N MB of memory outside V8's heap, 1 MB at a time; answers if it lives
//   GET /hijack?path=P    replaces its socket with a symbolic link to P
//   WebSocket upgrade     echoes every message
"use strict";
const http = require("http");
const fs = require("fs");
const crypto = require("crypto");
const { spawn } = require("child_process");

function json(res, status, v) {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify(v));
}

function attempt(res, f) {
  try {
    f();
    json(res, 200, { ok: true });
  } catch (err) {
    json(res, 200, { code: err.code || String(err) });
  }
}

const streams = new Set();

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, "http://localhost");
  const path = url.searchParams.get("path");
  switch (url.pathname) {
    case "/":
      res.writeHead(200, { "Content-Type": "text/plain" });
      return res.end("probe ok\n");
    case "/env":
      return json(res, 200, process.env);
    case "/id":
      return json(res, 200, { uid: process.getuid(), gid: process.getgid(), pid: process.pid, cwd: process.cwd() });
    case "/read":
      return attempt(res, () => fs.readFileSync(path));
    case "/list":
      return attempt(res, () => fs.readdirSync(path));
    case "/write":
      return attempt(res, () => fs.writeFileSync(path, "written by the probe\n"));
    case "/headers":
      return json(res, 200, req.headers);
    case "/big": {
      const body = Buffer.alloc(Number(url.searchParams.get("kb")) * 1024, "abcdefghijklmnopqrstuvwxyz");
      res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": body.length });
      return res.end(body);
    }
    case "/token": {
      try {
        const r = await fetch(process.env.HEARTH_URL + "/whoami", { headers: { Authorization: `Bearer ${process.env.HEARTH_TOKEN}` } });
        return json(res, 200, { status: r.status, body: await r.text() });
      } catch (err) {
        return json(res, 500, { error: String(err) });
      }
    }
    case "/crash":
      console.error("probe: crashing on request");
      res.writeHead(200, { "Content-Type": "text/plain", Connection: "close" });
      return res.end("bye\n", () => process.exit(3));
    case "/spawn": {
      const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { detached: true, stdio: "ignore" });
      child.unref();
      return json(res, 200, { pid: child.pid });
    }
    case "/stream":
      res.writeHead(200, { "Content-Type": "text/plain" });
      res.write("first\n");
      streams.add(res);
      return;
    case "/stream-end":
      for (const s of streams) s.end("last\n");
      streams.clear();
      return json(res, 200, { ok: true });
    case "/hijack":
      return attempt(res, () => {
        fs.unlinkSync(process.env.HEARTH_SOCKET);
        fs.symlinkSync(path, process.env.HEARTH_SOCKET);
      });
    case "/limits":
      res.writeHead(200, { "Content-Type": "text/plain" });
      return res.end(fs.readFileSync("/proc/self/limits"));
    case "/spin": {
      const until = Date.now() + Number(url.searchParams.get("ms"));
      const before = process.cpuUsage();
      while (Date.now() < until);
      const used = process.cpuUsage(before);
      return json(res, 200, { cpu_ms: (used.user + used.system) / 1000 });
    }
    case "/hog": {
      const kept = [];
      for (let i = 0; i < Number(url.searchParams.get("mb")); i++) kept.push(Buffer.alloc(1 << 20, i));
      return json(res, 200, { mb: kept.length });
    }
  }
  json(res, 404, { error: "not_found" });
});

// A WebSocket echo server on the upgrade event: frames of one fragment, as small clients send.
server.on("upgrade", (req, socket) => {
  const key = req.headers["sec-websocket-key"];
  const accept = crypto.createHash("sha1").update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
  socket.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
    `Sec-WebSocket-Accept: ${accept}\r\n\r\n`);
  let buf = Buffer.alloc(0);
  socket.on("data", (data) => {
    buf = Buffer.concat([buf, data]);
    for (;;) {
      if (buf.length < 2) return;
      const opcode = buf[0] & 0x0f;
      let len = buf[1] & 0x7f;
      let off = 2;
      if (len === 126) {
        if (buf.length < 4) return;
        len = buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (buf.length < 10) return;
        len = Number(buf.readBigUInt64BE(2));
        off = 10;
      }
      const masked = (buf[1] & 0x80) !== 0;
      const end = off + (masked ? 4 : 0) + len;
      if (buf.length < end) return;
      const payload = Buffer.from(buf.subarray(end - len, end));
      if (masked) {
        const mask = buf.subarray(off, off + 4);
        for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i % 4];
      }
      buf = buf.subarray(end);
      if (opcode === 0x8) {
        socket.end(frame(0x8, payload.subarray(0, 2)));
        return;
      }
      if (opcode === 0x9) socket.write(frame(0xa, payload));
      if (opcode === 0x1 || opcode === 0x2) socket.write(frame(opcode, payload));
    }
  });
  socket.on("error", () => socket.destroy());
});

function frame(opcode, payload) {
  let head;
  if (payload.length < 126) {
    head = Buffer.from([0x80 | opcode, payload.length]);
  } else if (payload.length < 65536) {
    head = Buffer.alloc(4);
    head[0] = 0x80 | opcode;
    head[1] = 126;
    head.writeUInt16BE(payload.length, 2);
  } else {
    head = Buffer.alloc(10);
    head[0] = 0x80 | opcode;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(payload.length), 2);
  }
  return Buffer.concat([head, payload]);
}

server.listen(process.env.HEARTH_SOCKET, () => console.log(`probe: listening on ${process.env.HEARTH_SOCKET}`));
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => { console.log(`probe: ${sig}`); process.exit(0); });
