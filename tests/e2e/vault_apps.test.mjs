// vault_apps.test.mjs -- the seed's story end to end, driven by the mident
// CLI: a vault and a secret; container apps run by the node agent whose
// processes read the secret with their managed identity and nothing else
// -- the unmodified npm @azure/keyvault-secrets SecretClient with
// ManagedIdentityCredential (system- and user-assigned), Debian's Python
// SecretClient, and the C example built against the installed libmident
// via pkg-config. Access follows `keyvault set-policy` / `delete-policy`
// on the very next request.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync, renameSync, readdirSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { startMident, cli, here, root, run, tempDir } from "./lib/harness.mjs";

let srv, ep;
const RG = "story-rg";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const NODE_READER = join(here, "..", "apps", "kv_reader.mjs");
const PY_READER = join(here, "..", "apps", "kv_reader.py");
let vaultUrl;

before(async () => {
  srv = await startMident();
  ep = srv.endpoints;
  await ok("group", "create", "-n", RG, "-l", "westeurope");
  const v = await ok("keyvault", "create", "-n", "story-kv", "-g", RG);
  vaultUrl = v.vaultUri;
  await ok("keyvault", "secret", "set", "--vault-name", "story-kv", "-n", "db-password", "--value", "correct horse battery staple");
});

after(async () => { if (srv) assert.equal((await srv.stop()).code, 0, srv.output()); });

async function ok(...args) {
  const r = await cli(srv.dataDir, args);
  assert.equal(r.code, 0, `mident ${args.join(" ")}: ${r.stderr}`);
  return r.json;
}

// The running replica of an app: its working directory.
async function replicaWork(app, timeoutMs = 20000) {
  const dir = join(srv.dataDir, "replicas", RG, app);
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (existsSync(dir)) for (const name of readdirSync(dir)) {
      const d = join(dir, name);
      if (existsSync(join(d, "stdout.log")) && /"event":\s*"start"/.test(readFileSync(join(d, "stdout.log"), "utf8")))
        return { work: join(d, "work"), dir: d };
    }
    if (Date.now() > until) throw new Error(`app ${app} did not start\n${srv.output()}`);
    await sleep(50);
  }
}

// Asks the app's reader to get a secret now.
async function read(r, name = "db-password", timeoutMs = 40000) {
  const id = randomUUID();
  writeFileSync(join(r.work, `tmpq-${id}`), JSON.stringify({ name }));
  renameSync(join(r.work, `tmpq-${id}`), join(r.work, `req-${id}.json`));
  const f = join(r.work, `res-${id}.json`);
  const until = Date.now() + timeoutMs;
  while (!existsSync(f)) {
    if (Date.now() > until) throw new Error(`no answer\n${readFileSync(join(r.dir, "stderr.log"), "utf8")}`);
    await sleep(10);
  }
  return JSON.parse(readFileSync(f, "utf8"));
}

const readerEnv = (extra = []) => ["--env-vars", `VAULT_URL=${vaultUrl}`, `NODE_EXTRA_CA_CERTS=${ep.caCert}`,
  `REQUESTS_CA_BUNDLE=${ep.caCert}`, `VAULT_CA_BUNDLE=${ep.caCert}`, ...extra];

test("a container app's system identity is refused until set-policy grants get, then reads; delete-policy refuses again", async () => {
  const app = await ok("containerapp", "create", "-n", "reader", "-g", RG, "--image", "mident/reader:1",
    "--system-assigned", "--command", process.execPath, "--args", NODE_READER, ...readerEnv());
  const pid = app.identity.principalId;
  assert.match(pid, /^[0-9a-f-]{36}$/);
  const r = await replicaWork("reader");
  let a = await read(r);
  assert.equal(a.ok, false, JSON.stringify(a));
  assert.equal(a.status, 403);
  assert.equal(a.code, "Forbidden");
  await ok("keyvault", "set-policy", "-n", "story-kv", "--object-id", pid, "--secret-permissions", "get");
  a = await read(r);
  assert.equal(a.ok, true, JSON.stringify(a));
  assert.equal(a.value, "correct horse battery staple");
  await ok("keyvault", "delete-policy", "-n", "story-kv", "--object-id", pid);
  a = await read(r);
  assert.equal(a.ok, false, JSON.stringify(a));
  assert.equal(a.status, 403);
  // and granted again, read again: no restart, no stale window either way
  await ok("keyvault", "set-policy", "-n", "story-kv", "--object-id", pid, "--secret-permissions", "get", "list");
  assert.equal((await read(r)).ok, true);
});

test("the same app reads with a user-assigned identity selected by client id", async () => {
  const id = await ok("identity", "create", "-n", "reader-id", "-g", RG);
  await ok("containerapp", "create", "-n", "reader-ua", "-g", RG, "--image", "mident/reader:1",
    "--user-assigned", "reader-id", "--command", process.execPath, "--args", NODE_READER,
    ...readerEnv([`MI_CLIENT_ID=${id.clientId}`]));
  const r = await replicaWork("reader-ua");
  let a = await read(r);
  assert.equal(a.status, 403, JSON.stringify(a));
  await ok("keyvault", "set-policy", "-n", "story-kv", "--object-id", id.principalId, "--secret-permissions", "get");
  a = await read(r);
  assert.equal(a.ok, true, JSON.stringify(a));
  assert.equal(a.value, "correct horse battery staple");
});

test("Debian's python3-azure SecretClient in a container app reads with its managed identity", async () => {
  const app = await ok("containerapp", "create", "-n", "reader-py", "-g", RG, "--image", "mident/reader-py:1",
    "--system-assigned", "--command", "/usr/bin/python3", "--args", PY_READER, ...readerEnv());
  const r = await replicaWork("reader-py");
  let a = await read(r);
  assert.equal(a.ok, false, JSON.stringify(a));
  assert.equal(a.status, 403);
  await ok("keyvault", "set-policy", "-n", "story-kv", "--object-id", app.identity.principalId, "--secret-permissions", "get");
  a = await read(r);
  assert.equal(a.ok, true, JSON.stringify(a));
  assert.equal(a.value, "correct horse battery staple");
});

test("the C example, built against the installed libmident via pkg-config, reads the secret as a container app", async () => {
  const prefix = tempDir("mident-prefix-");
  const san = process.env.SANITIZE === "1";
  const inst = await run("make", ["-C", root, "--no-print-directory", "install", `PREFIX=${prefix}`,
    `SANITIZE=${san ? 1 : ""}`], { timeoutMs: 600000 });
  assert.equal(inst.code, 0, inst.stdout + inst.stderr);
  assert.ok(existsSync(join(prefix, "lib", "pkgconfig", "mident.pc")));
  const env = { ...process.env, PKG_CONFIG_PATH: join(prefix, "lib", "pkgconfig") };
  const pc = await run("pkg-config", ["--cflags", "--libs", "mident", "libcurl"], { env });
  assert.equal(pc.code, 0, pc.stderr);
  const exe = join(prefix, "bin", "read_secret");
  const flags = pc.stdout.trim().split(/\s+/);
  const cc = await run("cc", ["-std=c11", "-Wall", "-Wextra", "-Werror", ...(san ? ["-fsanitize=address,undefined"] : []),
    join(root, "examples", "read_secret.c"), ...flags, `-Wl,-rpath,${join(prefix, "lib")}`, "-o", exe], { env });
  assert.equal(cc.code, 0, cc.stderr);
  const app = await ok("containerapp", "create", "-n", "reader-c", "-g", RG, "--image", "mident/reader-c:1",
    "--system-assigned", "--command", exe, "--args", vaultUrl, "db-password", ...readerEnv());
  await ok("keyvault", "set-policy", "-n", "story-kv", "--object-id", app.identity.principalId, "--secret-permissions", "get");
  const r = await replicaWork("reader-c").catch(() => null);
  // The example prints the value and exits; the agent restarts it. Look
  // for the value in its stdout.
  const dir = join(srv.dataDir, "replicas", RG, "reader-c");
  const until = Date.now() + 30000;
  let out = "";
  while (Date.now() < until) {
    out = existsSync(dir) ? readdirSync(dir).map((n) => {
      const f = join(dir, n, "stdout.log");
      return existsSync(f) ? readFileSync(f, "utf8") : "";
    }).join("") : "";
    if (out.includes("correct horse battery staple")) break;
    await sleep(100);
  }
  void r;
  const errs = existsSync(dir) ? readdirSync(dir).map((n) => {
    const f = join(dir, n, "stderr.log");
    return existsSync(f) ? readFileSync(f, "utf8") : "";
  }).join("") : "";
  assert.ok(out.includes("correct horse battery staple"), `stdout: ${out}\nstderr: ${errs}`);
});
