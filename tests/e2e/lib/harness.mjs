// harness.mjs -- starts real mident processes for end-to-end tests and runs
// client programs (unmodified Azure SDKs, jose) in child Node processes.
//
// Why child processes: Node reads NODE_EXTRA_CA_CERTS only at start-up, and
// mident makes its CA on first start, so a client that must trust mident's
// CA is started after the server, with NODE_EXTRA_CA_CERTS pointing at it --
// exactly how a user runs their own program against mident.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

export const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, "..", "..", "..");
export const bin = process.env.MIDENT_BIN || join(root, "build", "mident");

export function tempDir(prefix = "mident-e2e-") {
  return mkdtempSync(join(tmpdir(), prefix));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Starts `mident up` on dataDir (a fresh one by default) and a free port;
// resolves once endpoints.json is written and the server answers.
export async function startMident({ dataDir, args = [], env = {}, listen = "127.0.0.1:0" } = {}) {
  dataDir = dataDir || tempDir();
  const epPath = join(dataDir, "endpoints.json");
  // The node agent's endpoint on a free port unless the test picks one, so
  // that servers of concurrent test runs never collide on 4141.
  const agentArgs = args.includes("--agent-listen") || args.includes("--no-agent")
    ? [] : ["--agent-listen", "127.0.0.1:0"];
  const proc = spawn(bin, ["up", "--data", dataDir, "--listen", listen,
                           "--log-level", "warn", ...agentArgs, ...args],
                     { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  proc.stdout.on("data", (d) => (out += d));
  proc.stderr.on("data", (d) => (out += d));
  const exited = new Promise((resolve) => proc.on("exit", (code, sig) => resolve({ code, sig })));
  for (let i = 0; i < 300; i++) {
    if (proc.exitCode !== null) throw new Error(`mident up exited early:\n${out}`);
    if (out.includes("mident is up")) break; // printed after endpoints.json is written
    await sleep(50);
  }
  if (!out.includes("mident is up")) {
    proc.kill("SIGKILL");
    throw new Error(`mident up did not become ready:\n${out}`);
  }
  const endpoints = JSON.parse(readFileSync(epPath, "utf8"));
  const server = {
    dataDir, endpoints, proc, epPath,
    output: () => out,
    // SIGTERM and wait; resolves to {code, sig}
    async stop() {
      if (proc.exitCode === null) proc.kill("SIGTERM");
      return exited;
    },
    kill() { proc.kill("SIGKILL"); return exited; },
  };
  return server;
}

// Environment for a client program that trusts mident's CA (Node and
// Python) -- set explicitly, never inherited (see DESIGN.md).
export function clientEnv(endpoints, extra = {}) {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS; delete env.REQUESTS_CA_BUNDLE;
  delete env.IDENTITY_ENDPOINT; delete env.IDENTITY_HEADER;
  delete env.MSI_ENDPOINT; delete env.MSI_SECRET;
  for (const k of Object.keys(env)) if (k.startsWith("AZURE_")) delete env[k];
  env.NODE_EXTRA_CA_CERTS = endpoints.caCert;
  env.REQUESTS_CA_BUNDLE = endpoints.caCert;
  return { ...env, ...extra };
}

// Runs a program to completion; resolves {code, stdout, stderr, json}
// where json is the last line of stdout parsed, when it parses.
export function run(cmd, args, { env, input, timeoutMs = 60000 } = {}) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { env: env || process.env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    const t = setTimeout(() => { p.kill("SIGKILL"); reject(new Error(`${cmd} timed out\n${stderr}`)); }, timeoutMs);
    p.on("exit", (code) => {
      clearTimeout(t);
      let json;
      const lines = stdout.trim().split("\n");
      try { json = JSON.parse(stdout); } catch {
        try { json = JSON.parse(lines[lines.length - 1]); } catch { json = undefined; }
      }
      resolve({ code, stdout, stderr, json });
    });
    if (input) p.stdin.end(input); else p.stdin.end();
  });
}

// Runs tests/e2e/clients/<name> with node, trusting mident's CA.
export function runClient(endpoints, name, args = [], extraEnv = {}) {
  return run(process.execPath, [join(here, "..", "clients", name), ...args],
             { env: clientEnv(endpoints, extraEnv) });
}

// Runs the mident CLI against a data directory.
export function cli(dataDir, args, opts = {}) {
  return run(bin, ["--data", dataDir, ...args], opts);
}

// A token from the token endpoint with the admin credential, over HTTPS
// with mident's CA (done in a child, see above).
export async function adminToken(endpoints, resource = "https://management.azure.com/") {
  const r = await runClient(endpoints, "oauth_token.mjs",
    [endpoints.authority, endpoints.tenantId, endpoints.admin.clientId,
     endpoints.admin.clientSecret, resource, "v1"]);
  if (r.code !== 0 || !r.json?.body?.access_token) throw new Error(`token: ${r.stdout}${r.stderr}`);
  return r.json.body.access_token;
}

export function decodeJwt(token) {
  const [h, p] = token.split(".");
  const dec = (s) => JSON.parse(Buffer.from(s, "base64url").toString("utf8"));
  return { header: dec(h), payload: dec(p) };
}

// A TCP port free right now on 127.0.0.1.
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}
