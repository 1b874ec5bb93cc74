// A webhook receiver for tests/webhooks_test.cpp, independent of the service's code: it checks
// each request's Standard Webhooks signature with Node's own HMAC-SHA256 and appends one JSON
// line per request to LOG_FILE: {"id","timestamp","signature","verified","status","body"}.
//
//   node webhook_receiver.js PORT_FILE LOG_FILE
//
// Control (POST, plain-text body): /control/secret (the whsec_ secret to verify with),
// /control/fail (answer 500 to the next N requests), /control/delay (milliseconds to wait
// before answering each request).
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const http = require("http");

const [portFile, logFile] = process.argv.slice(2);
let secret = "";
let failNext = 0;
let delayMs = 0;

function verify(headers, body) {
  if (!secret.startsWith("whsec_")) return false;
  const key = Buffer.from(secret.slice("whsec_".length), "base64");
  const signed = `${headers["webhook-id"]}.${headers["webhook-timestamp"]}.${body}`;
  const expected = Buffer.from(
    "v1," + crypto.createHmac("sha256", key).update(signed).digest("base64"));
  return (headers["webhook-signature"] || "").split(" ").some(
    (s) => s.length === expected.length && crypto.timingSafeEqual(Buffer.from(s), expected));
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    if (req.url.startsWith("/control/")) {
      const what = req.url.slice("/control/".length);
      if (what === "secret") secret = body.trim();
      else if (what === "fail") failNext = Number(body);
      else if (what === "delay") delayMs = Number(body);
      res.end("ok");
      return;
    }
    const status = failNext > 0 ? 500 : 200;
    if (failNext > 0) failNext--;
    setTimeout(() => {
      fs.appendFileSync(logFile, JSON.stringify({
        id: req.headers["webhook-id"] || "",
        timestamp: req.headers["webhook-timestamp"] || "",
        signature: req.headers["webhook-signature"] || "",
        verified: verify(req.headers, body),
        status,
        body,
      }) + "\n");
      res.statusCode = status;
      res.end(status === 200 ? "thanks" : "try again");
    }, delayMs);
  });
});
server.listen(0, "127.0.0.1", () => {
  fs.writeFileSync(portFile + ".tmp", String(server.address().port));
  fs.renameSync(portFile + ".tmp", portFile);
});
