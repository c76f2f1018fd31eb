// azcli.test.mjs -- unmodified azure-cli (Debian's azure-cli) against
// mident: the cloud is registered from mident's /metadata/endpoints (the
// one-argument form, with the trailing '/' that makes az request
// `//metadata/endpoints`), `az login --service-principal` goes through the
// ADFS-style authority (no instance discovery, offline), and az's own
// `group` and `identity` commands drive the resource manager.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startMident, run, clientEnv, cli, tempDir, decodeJwt, runClient } from "./lib/harness.mjs";

let srv, ep, env;
const az = (args, opts = {}) => run("az", [...args, "--only-show-errors"], { env, timeoutMs: 120000, ...opts });

before(async () => {
  srv = await startMident({ args: ["--no-agent"] });
  ep = srv.endpoints;
  env = clientEnv(ep, { AZURE_CONFIG_DIR: tempDir("mident-az-"), AZURE_CORE_COLLECT_TELEMETRY: "false" });
  let r = await az(["cloud", "register", "-n", "Mident", "--endpoint-resource-manager", `${ep.arm}/`]);
  assert.equal(r.code, 0, r.stderr);
  r = await az(["cloud", "set", "-n", "Mident"]);
  assert.equal(r.code, 0, r.stderr);
});
after(async () => { if (srv) await srv.stop(); });

test("az login --service-principal: a wrong secret fails with invalid_client, the right one logs in", async () => {
  const bad = await az(["login", "--service-principal", "-u", ep.admin.clientId, "-p", "wrong",
                        "--tenant", ep.tenantId]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr + bad.stdout, /AADSTS7000215|invalid_client/);
  const r = await az(["login", "--service-principal", "-u", ep.admin.clientId, "-p", ep.admin.clientSecret,
                      "--tenant", ep.tenantId, "-o", "json"]);
  assert.equal(r.code, 0, r.stderr);
  const subs = JSON.parse(r.stdout);
  assert.equal(subs.length, 1);
  assert.equal(subs[0].id, ep.subscriptionId);
  assert.equal(subs[0].tenantId, ep.tenantId);
});

test("az account get-access-token returns a token that verifies against mident's keys", async () => {
  const r = await az(["account", "get-access-token", "--resource", "https://vault.azure.net", "-o", "json"]);
  assert.equal(r.code, 0, r.stderr);
  const tok = JSON.parse(r.stdout);
  assert.equal(tok.tenant, ep.tenantId);
  const { payload } = decodeJwt(tok.accessToken);
  assert.equal(payload.aud, "https://vault.azure.net");
  assert.equal(payload.oid, ep.admin.objectId);
  const v = await runClient(ep, "jose_verify.mjs", [`${ep.authority}/adfs/.well-known/openid-configuration`,
                                                     tok.accessToken, "https://vault.azure.net"]);
  assert.equal(v.json.ok, true, v.stdout);
});

test("az group and az identity create, show, list and delete through mident's ARM API", async () => {
  let r = await az(["group", "create", "-n", "rg-az", "-l", "westeurope", "-o", "json"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).name, "rg-az");
  r = await az(["identity", "create", "-g", "rg-az", "-n", "id-az", "-o", "json"]);
  assert.equal(r.code, 0, r.stderr);
  const created = JSON.parse(r.stdout);
  assert.match(created.principalId, /^[0-9a-f-]{36}$/);
  assert.equal(created.location, "westeurope", "location defaults to the group's");
  // mident's own view agrees with what az printed
  const mine = await cli(srv.dataDir, ["identity", "show", "-g", "rg-az", "-n", "id-az"]);
  assert.equal(mine.code, 0, mine.stderr);
  assert.equal(mine.json.principalId, created.principalId);
  assert.equal(mine.json.clientId, created.clientId);
  r = await az(["identity", "list", "-g", "rg-az", "--query", "[].name", "-o", "tsv"]);
  assert.equal(r.stdout.trim(), "id-az");
  r = await az(["identity", "show", "-g", "rg-az", "-n", "id-az", "--query", "clientId", "-o", "tsv"]);
  assert.equal(r.stdout.trim(), created.clientId);
  r = await az(["identity", "delete", "-g", "rg-az", "-n", "id-az"]);
  assert.equal(r.code, 0, r.stderr);
  r = await az(["identity", "show", "-g", "rg-az", "-n", "id-az"]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /ResourceNotFound/);
  const gone = await cli(srv.dataDir, ["identity", "show", "-g", "rg-az", "-n", "id-az"]);
  assert.equal(gone.code, 1);
});
