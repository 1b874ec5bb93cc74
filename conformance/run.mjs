// Starts `partnercloud sandbox` (HTTP and HTTPS on free ports, a throwaway data folder) and runs
// suite.mjs against its HTTPS origin with the sandbox's CA trusted through NODE_EXTRA_CA_CERTS,
// as a program using Microsoft's SDKs would be set up. Exits with the suite's status.
//   node run.mjs --binary PATH/partnercloud
// Without node_modules it exits 77 (skipped) unless PARTNERCLOUD_REQUIRE_FIXTURES is set.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const binary = args[args.indexOf("--binary") + 1];
if (!args.includes("--binary") || !binary) {
  console.error("usage: node run.mjs --binary PATH/partnercloud");
  process.exit(2);
}
if (!existsSync(join(here, "node_modules", "@azure", "identity"))) {
  if (process.env.PARTNERCLOUD_REQUIRE_FIXTURES) {
    console.error("conformance/node_modules is missing: run scripts/setup.sh (npm ci in conformance/)");
    process.exit(1);
  }
  console.log("SKIP: conformance/node_modules is missing (scripts/setup.sh installs it)");
  process.exit(77);
}

const dir = mkdtempSync(join(tmpdir(), "pc-conformance-"));
const portFile = join(dir, "port");
const httpsFile = join(dir, "https-port");
const sandbox = spawn(
  binary,
  ["sandbox", "--port", "0", "--port-file", portFile, "--https-port", "0",
   "--https-port-file", httpsFile, "--seed", "19", "--data", join(dir, "data")],
  { stdio: ["ignore", "inherit", "pipe"] },
);
let stderr = "";
sandbox.stderr.on("data", (d) => { stderr += d; });
let exited = null;
sandbox.on("exit", (code) => { exited = code; });

function cleanup() {
  if (exited === null) sandbox.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
}

const deadline = Date.now() + 60000;
while (!existsSync(portFile) || !existsSync(httpsFile)) {
  if (exited !== null || Date.now() > deadline) {
    console.error(`the sandbox did not start (exit ${exited}):\n${stderr}`);
    cleanup();
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, 20));
}
const https = Number(readFileSync(httpsFile, "utf8").trim());
const http = Number(readFileSync(portFile, "utf8").trim());
const ca = join(dir, "data", "tls", "ca.pem");
if (!stderr.includes(ca)) {
  console.error(`the sandbox did not print its CA file ${ca}:\n${stderr}`);
  cleanup();
  process.exit(1);
}

const suite = spawn(process.execPath, [join(here, "suite.mjs")], {
  stdio: "inherit",
  env: {
    ...process.env,
    NODE_EXTRA_CA_CERTS: ca,
    SANDBOX_URL: `https://127.0.0.1:${https}`,
    SANDBOX_HTTP_URL: `http://127.0.0.1:${http}`,
    NODE_NO_WARNINGS: "1",
  },
});
const code = await new Promise((r) => suite.on("exit", (c) => r(c ?? 1)));
cleanup();
process.exit(code);
