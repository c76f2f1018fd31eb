// vault.test.mjs -- mident's Key Vault-compatible secret store end to end:
// the control plane (Microsoft.KeyVault/vaults over ARM and the mident
// CLI), the data plane driven by the unmodified npm @azure/keyvault-secrets
// SecretClient with @azure/identity's ClientSecretCredential, the 401
// challenge, per-request access policies, RBAC mode, and forged tokens,
// each refused with 401.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { randomUUID, generateKeyPairSync, createSign, createHmac, createPublicKey } from "node:crypto";
import { startMident, runClient, adminToken, cli, decodeJwt, run } from "./lib/harness.mjs";

let srv, ep, ca, armTok, vaultTok, sub, rg = "kv-rg";
const API = "api-version=2024-11-01";
const VAULT_RES = "https://vault.azure.net";

before(async () => {
  srv = await startMident({ args: ["--no-agent"] });
  ep = srv.endpoints; sub = ep.subscriptionId;
  ca = readFileSync(ep.caCert);
  armTok = await adminToken(ep);
  vaultTok = await adminToken(ep, VAULT_RES);
  const g = await mid("group", "create", "-n", rg, "-l", "westeurope");
  assert.equal(g.code, 0, g.stderr);
});

after(async () => { if (srv) assert.equal((await srv.stop()).code, 0, srv.output()); });

function https(method, url, { bearer, body, headers = {} } = {}) {
  const data = body === undefined ? undefined : (typeof body === "string" ? body : JSON.stringify(body));
  const h = { ...headers };
  if (bearer) h.authorization = `Bearer ${bearer}`;
  if (data !== undefined) { h["content-type"] = "application/json"; h["content-length"] = Buffer.byteLength(data); }
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: h, ca }, (res) => {
      let text = "";
      res.on("data", (d) => (text += d));
      res.on("end", () => {
        let json; try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, body: json, text });
      });
    });
    req.on("error", reject);
    if (data !== undefined) req.write(data);
    req.end();
  });
}

const vaultId = (n, g = rg) => `/subscriptions/${sub}/resourceGroups/${g}/providers/Microsoft.KeyVault/vaults/${n}`;
const arm = (method, path, body) =>
  https(method, `${ep.arm}${path}${path.includes("?") ? "&" : "?"}${API}`, { bearer: armTok, body });
const mid = (...args) => cli(srv.dataDir, args);
async function midJson(...args) {
  const r = await mid(...args);
  assert.equal(r.code, 0, `mident ${args.join(" ")}: ${r.stderr}`);
  return r.json;
}

// The SDK client as a given principal (default: the admin).
async function sdk(vaultUrl, ops, who = ep.admin) {
  const r = await runClient(ep, "kv_secrets.mjs", [vaultUrl, JSON.stringify(ops)], {
    KV_AUTHORITY: ep.authority, KV_TENANT: ep.tenantId,
    KV_CLIENT_ID: who.clientId ?? who.appId, KV_CLIENT_SECRET: who.clientSecret ?? who.password });
  assert.ok(Array.isArray(r.json), r.stdout + r.stderr);
  return r.json;
}

async function mkVault(name, properties = {}) {
  const r = await arm("PUT", vaultId(name), { location: "westeurope", properties: {
    tenantId: ep.tenantId, sku: { family: "A", name: "standard" }, accessPolicies: [], ...properties } });
  assert.ok([200, 201].includes(r.status), r.text);
  return r.body;
}

const policy = (oid, secrets) => ({ tenantId: ep.tenantId, objectId: oid, permissions: { secrets } });

test("control plane: vaults over ARM, with a vaultUri of their own and access-policy edits", async () => {
  const v = await mkVault("kv-arm", { accessPolicies: [policy(ep.admin.objectId, ["Get", "list"])] });
  assert.equal(v.type, "Microsoft.KeyVault/vaults");
  assert.equal(v.properties.tenantId, ep.tenantId);
  assert.deepEqual(v.properties.sku, { family: "A", name: "standard" });
  assert.equal(v.properties.enableRbacAuthorization, false);
  assert.equal(v.properties.provisioningState, "Succeeded");
  assert.match(v.properties.vaultUri, /^https:\/\/127\.0\.0\.1:\d+\/$/);
  assert.equal(v.properties.midentKey, undefined, "the internal key is never shown");
  assert.deepEqual(v.properties.accessPolicies[0].permissions.secrets, ["get", "list"]);
  // PUT again keeps the endpoint; PATCH changes only what it names
  const again = await mkVault("kv-arm", { accessPolicies: [policy(ep.admin.objectId, ["get"])] });
  assert.equal(again.properties.vaultUri, v.properties.vaultUri);
  const p = await arm("PATCH", vaultId("kv-arm"), { properties: { enableRbacAuthorization: true } });
  assert.equal(p.status, 200, p.text);
  assert.equal(p.body.properties.enableRbacAuthorization, true);
  assert.equal(p.body.properties.vaultUri, v.properties.vaultUri);
  assert.equal(p.body.properties.accessPolicies.length, 1);
  // accessPolicies/{add|replace|remove}
  const other = randomUUID();
  let r = await arm("PUT", `${vaultId("kv-arm")}/accessPolicies/add`,
    { properties: { accessPolicies: [policy(other, ["get"]), policy(ep.admin.objectId, ["set"])] } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.type, "Microsoft.KeyVault/vaults/accessPolicies");
  const pol = (body, oid) => body.properties.accessPolicies.find((x) => x.objectId === oid);
  assert.deepEqual(pol(r.body, ep.admin.objectId).permissions.secrets, ["get", "set"]);
  assert.deepEqual(pol(r.body, other).permissions.secrets, ["get"]);
  r = await arm("PUT", `${vaultId("kv-arm")}/accessPolicies/replace`, { properties: { accessPolicies: [policy(other, ["list"])] } });
  assert.deepEqual(pol(r.body, other).permissions.secrets, ["list"]);
  r = await arm("PUT", `${vaultId("kv-arm")}/accessPolicies/remove`, { properties: { accessPolicies: [policy(other, ["list"])] } });
  assert.equal(pol(r.body, other), undefined);
  r = await arm("PUT", `${vaultId("kv-arm")}/accessPolicies/merge`, { properties: { accessPolicies: [] } });
  assert.equal(r.status, 400);
  // validation
  r = await arm("PUT", vaultId("a--b"), { location: "westeurope", properties: { tenantId: ep.tenantId, sku: { name: "standard" } } });
  assert.equal(r.status, 400, r.text);
  r = await arm("PUT", vaultId("kv-bad"), { location: "westeurope", properties: { tenantId: ep.tenantId,
    sku: { name: "standard" }, accessPolicies: [policy(other, ["steal"])] } });
  assert.equal(r.status, 400, r.text);
  assert.match(r.body.error.message, /steal/);
  // list and delete
  r = await arm("GET", `/subscriptions/${sub}/providers/Microsoft.KeyVault/vaults`);
  assert.ok(r.body.value.some((x) => x.name === "kv-arm"));
  assert.ok(r.body.value.every((x) => x.properties.midentKey === undefined));
  r = await arm("DELETE", vaultId("kv-arm"));
  assert.equal(r.status, 200);
  assert.equal((await arm("GET", vaultId("kv-arm"))).status, 404);
});

test("a vault's endpoint challenges a body-less request without a token (401 + WWW-Authenticate)", async () => {
  const v = await mkVault("kv-chal");
  const url = v.properties.vaultUri;
  for (const [m, path] of [["PUT", "secrets/s1"], ["GET", "secrets/s1/"], ["GET", "secrets"], ["DELETE", "secrets/x"]]) {
    const r = await https(m, `${url}${path}?api-version=2025-07-01`, { headers: { "content-length": "0" } });
    assert.equal(r.status, 401, `${m} ${path}`);
    assert.equal(r.headers["www-authenticate"],
      `Bearer authorization="${ep.authority}/${ep.tenantId}", resource="https://vault.azure.net"`);
    assert.equal(r.body.error.code, "Unauthorized");
  }
  // a token for another resource is refused the same way
  const r = await https("GET", `${url}secrets/s1?api-version=7.4`, { bearer: armTok });
  assert.equal(r.status, 401);
  assert.ok(r.headers["www-authenticate"]);
});

test("data plane with the unmodified SecretClient: set, get latest and by version, update, list (paged), versions, delete", async () => {
  const v = await mkVault("kv-sdk", { accessPolicies: [policy(ep.admin.objectId, ["get", "list", "set", "delete"])] });
  const url = v.properties.vaultUri.replace(/\/$/, "");
  const res = await sdk(url, [
    { op: "set", name: "db-password", value: "s3cret-1", options: { contentType: "text/plain", tags: { env: "test" } } },
    { op: "set", name: "db-password", value: "s3cret-2" },
    { op: "get", name: "db-password" },
    { op: "set", name: "api-key", value: "k" },
    { op: "set", name: "Third", value: "3" },
    { op: "list" },
    { op: "listPages", pageSize: 2 },
    { op: "versions", name: "DB-PASSWORD" },
    { op: "get", name: "nope" },
  ]);
  for (const [i, r] of res.entries()) if (i < 8) assert.equal(r.ok, true, JSON.stringify(r));
  const [s1, s2, latest] = res.map((r) => r.result);
  assert.equal(s1.value, "s3cret-1");
  assert.equal(s1.contentType, "text/plain");
  assert.deepEqual(s1.tags, { env: "test" });
  assert.equal(s1.vaultUrl, url);
  assert.match(s1.version, /^[0-9a-f]{32}$/);
  assert.notEqual(s1.version, s2.version);
  assert.equal(latest.value, "s3cret-2");
  assert.equal(latest.version, s2.version);
  assert.equal(latest.id, `${url}/secrets/db-password/${s2.version}`);
  assert.deepEqual(res[5].result.map((x) => x.name).sort(), ["Third", "api-key", "db-password"]);
  assert.ok(res[5].result.every((x) => x.value === undefined));
  assert.deepEqual(res[6].result, [2, 1], "pages of 2 followed by nextLink");
  assert.deepEqual(res[7].result.map((x) => x.version).sort(), [s1.version, s2.version].sort());
  assert.equal(res[8].ok, false);
  assert.equal(res[8].status, 404);
  assert.equal(res[8].code, "SecretNotFound");

  const more = await sdk(url, [
    { op: "get", name: "db-password", version: s1.version },
    { op: "update", name: "db-password", version: s1.version, options: { enabled: false, tags: { env: "old" } } },
    { op: "get", name: "db-password", version: s1.version },
    { op: "delete", name: "api-key" },
    { op: "get", name: "api-key" },
    { op: "list" },
  ]);
  assert.equal(more[0].result.value, "s3cret-1");
  assert.equal(more[1].ok, true, JSON.stringify(more[1]));
  assert.equal(more[1].result.enabled, false);
  assert.deepEqual(more[1].result.tags, { env: "old" });
  assert.equal(more[2].status, 403, "a disabled version is not served");
  assert.equal(more[3].ok, true, JSON.stringify(more[3]));
  assert.equal(more[3].result.name, "api-key");
  assert.equal(more[3].result.recoveryId, undefined);
  assert.equal(more[4].status, 404);
  assert.deepEqual(more[5].result.map((x) => x.name).sort(), ["Third", "db-password"]);

  // raw shapes: trailing-slash latest, id format, attributes in epoch seconds
  const raw = await https("GET", `${url}/secrets/db-password/?api-version=2026-04-01`, { bearer: vaultTok });
  assert.equal(raw.status, 200);
  assert.equal(raw.body.value, "s3cret-2");
  assert.equal(typeof raw.body.attributes.created, "number");
  assert.ok(raw.body.attributes.created > 1.7e9 && raw.body.attributes.created < 4e9);
  const bad = await https("PUT", `${url}/secrets/bad_name?api-version=7.4`, { bearer: vaultTok, body: { value: "x" } });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, "BadParameter");
  const nov = await https("PUT", `${url}/secrets/novalue?api-version=7.4`, { bearer: vaultTok, body: {} });
  assert.equal(nov.status, 400);
});

test("access policies are checked on every request: a grant or revoke applies to the next request", async () => {
  const sp = await midJson("ad", "sp", "create-for-rbac", "--name", "kv-app");
  const v = await mkVault("kv-pol", { accessPolicies: [policy(ep.admin.objectId, ["all"])] });
  const url = v.properties.vaultUri;
  assert.equal((await sdk(url, [{ op: "set", name: "s", value: "v1" }]))[0].ok, true);
  let r = await sdk(url, [{ op: "get", name: "s" }], sp);
  assert.equal(r[0].status, 403, JSON.stringify(r));
  assert.equal(r[0].code, "Forbidden");
  await midJson("keyvault", "set-policy", "-n", "kv-pol", "--object-id", sp.objectId, "--secret-permissions", "get");
  r = await sdk(url, [{ op: "get", name: "s" }, { op: "list" }, { op: "set", name: "s", value: "x" }], sp);
  assert.equal(r[0].ok, true, JSON.stringify(r[0]));
  assert.equal(r[0].result.value, "v1");
  assert.equal(r[1].status, 403, "get does not give list");
  assert.equal(r[2].status, 403, "nor set");
  await midJson("keyvault", "delete-policy", "-n", "kv-pol", "--object-id", sp.objectId);
  r = await sdk(url, [{ op: "get", name: "s" }], sp);
  assert.equal(r[0].status, 403);
});

test("the CLI drives vaults and secrets", async () => {
  const v = await midJson("keyvault", "create", "-n", "kv-cli", "-g", rg);
  assert.equal(v.name, "kv-cli");
  assert.match(v.vaultUri, /^https:\/\/127\.0\.0\.1:\d+\/$/);
  assert.equal(v.accessPolicies[0].objectId, ep.admin.objectId, "the creator gets secret permissions, as in az");
  const s = await midJson("keyvault", "secret", "set", "--vault-name", "kv-cli", "-n", "greeting", "--value", "hello");
  assert.equal(s.value, "hello");
  assert.equal(s.name, "greeting");
  assert.equal((await midJson("keyvault", "secret", "show", "--vault-name", "kv-cli", "-n", "greeting")).value, "hello");
  const l = await midJson("keyvault", "secret", "list", "--vault-name", "kv-cli");
  assert.deepEqual(l.map((x) => x.name), ["greeting"]);
  assert.equal((await midJson("keyvault", "show", "-n", "kv-cli")).vaultUri, v.vaultUri);
  assert.ok((await midJson("keyvault", "list", "-g", rg)).some((x) => x.name === "kv-cli"));
  await midJson("keyvault", "secret", "delete", "--vault-name", "kv-cli", "-n", "greeting");
  const gone = await mid("keyvault", "secret", "show", "--vault-name", "kv-cli", "-n", "greeting");
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /SecretNotFound|not found/);
  // a vault deleted and created again under its name starts empty
  await midJson("keyvault", "secret", "set", "--vault-name", "kv-cli", "-n", "left", "--value", "over");
  assert.equal((await mid("keyvault", "delete", "-n", "kv-cli")).code, 0);
  await midJson("keyvault", "create", "-n", "kv-cli", "-g", rg);
  assert.deepEqual(await midJson("keyvault", "secret", "list", "--vault-name", "kv-cli"), []);
  const u = await mid("keyvault", "secret", "show", "--vault-name", "kv-cli");
  assert.equal(u.code, 2, "usage error without -n");
});

test("RBAC mode: Key Vault Secrets User at vault scope reads and cannot write", async () => {
  const v = await midJson("keyvault", "create", "-n", "kv-rbac", "-g", rg, "--enable-rbac-authorization");
  assert.equal(v.enableRbacAuthorization, true);
  assert.deepEqual(v.accessPolicies, []);
  const url = v.vaultUri;
  // Owner of the subscription has no data actions: refused until a Key Vault role
  let r = await sdk(url, [{ op: "set", name: "s", value: "v" }]);
  assert.equal(r[0].status, 403, JSON.stringify(r));
  await midJson("role", "assignment", "create", "--assignee", ep.admin.objectId, "--role", "Key Vault Secrets Officer", "--scope", v.id);
  r = await sdk(url, [{ op: "set", name: "s", value: "v" }]);
  assert.equal(r[0].ok, true, JSON.stringify(r));
  const reader = await midJson("ad", "sp", "create-for-rbac", "--name", "kv-reader");
  r = await sdk(url, [{ op: "get", name: "s" }], reader);
  assert.equal(r[0].status, 403);
  const ra = await midJson("role", "assignment", "create", "--assignee", reader.objectId, "--role", "Key Vault Secrets User", "--scope", v.id);
  r = await sdk(url, [{ op: "get", name: "s" }, { op: "list" }, { op: "set", name: "s", value: "w" }, { op: "delete", name: "s" }], reader);
  assert.equal(r[0].ok, true, JSON.stringify(r[0]));
  assert.equal(r[0].result.value, "v");
  assert.equal(r[1].ok, true, "Secrets User may list (readMetadata)");
  assert.equal(r[2].status, 403, "Secrets User may not write");
  assert.equal(r[3].status, 403);
  // access policies do not apply in RBAC mode
  await midJson("keyvault", "set-policy", "-n", "kv-rbac", "--object-id", reader.objectId, "--secret-permissions", "all");
  r = await sdk(url, [{ op: "set", name: "s", value: "w" }], reader);
  assert.equal(r[0].status, 403);
  // revoking the role applies to the next request
  assert.equal((await mid("role", "assignment", "delete", "--ids", ra.id)).code, 0);
  r = await sdk(url, [{ op: "get", name: "s" }], reader);
  assert.equal(r[0].status, 403);
});

// ---- forged tokens ---------------------------------------------------------

// The token service's active signing key, read from the store the way an
// attacker who stole it would hold it (so claim checks are tested with a
// valid signature).
async function signingKey() {
  const r = await run("/usr/bin/python3", ["-c",
    "import sqlite3,sys,json;c=sqlite3.connect(sys.argv[1]);" +
    "print(json.dumps(c.execute('select kid, private_pem from signing_keys where retired=0 order by created desc').fetchone()))",
    join(srv.dataDir, "mident.db")]);
  const [kid, pem] = JSON.parse(r.stdout);
  return { kid, pem };
}

const b64u = (o) => Buffer.from(typeof o === "string" ? o : JSON.stringify(o)).toString("base64url");
function rs256(header, payload, pem) {
  const input = `${b64u(header)}.${b64u(payload)}`;
  return `${input}.${createSign("RSA-SHA256").update(input).sign(pem).toString("base64url")}`;
}

test("token attacks at the vault are each refused with 401", async () => {
  const v = await mkVault("kv-attack", { accessPolicies: [policy(ep.admin.objectId, ["all"])] });
  const url = `${v.properties.vaultUri}secrets/t?api-version=7.4`;
  const { kid, pem } = await signingKey();
  const { header, payload } = decodeJwt(vaultTok);
  const now = Math.floor(Date.now() / 1000);
  const good = { ...payload, iat: now - 10, nbf: now - 10, exp: now + 3600 };
  const hdr = { typ: "JWT", alg: "RS256", kid, x5t: kid };
  // Controls: the real token and a re-signed copy of its claims are accepted.
  assert.equal((await https("PUT", url, { bearer: vaultTok, body: { value: "x" } })).status, 200);
  assert.equal((await https("GET", url, { bearer: rs256(hdr, good, pem) })).status, 200);

  const pub = createPublicKey(pem);
  const pubPem = pub.export({ type: "spki", format: "pem" });
  const hs = (() => {
    const h = { typ: "JWT", alg: "HS256", kid };
    const input = `${b64u(h)}.${b64u(good)}`;
    return `${input}.${createHmac("sha256", pubPem).update(input).digest("base64url")}`;
  })();
  const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" });
  const [h0, p0, s0] = vaultTok.split(".");
  const tamperedPayload = b64u({ ...payload, oid: randomUUID() });
  const flipped = s0.slice(0, 10) + (s0[10] === "A" ? "B" : "A") + s0.slice(11);
  const otherTenant = randomUUID();
  const attacks = {
    "alg none": `${b64u({ typ: "JWT", alg: "none", kid })}.${b64u(good)}.`,
    "alg none, signature kept": `${b64u({ typ: "JWT", alg: "none", kid })}.${b64u(good)}.${s0}`,
    "HS256 signed with the public key": hs,
    "unknown kid": rs256({ ...hdr, kid: "not-a-mident-key", x5t: "not-a-mident-key" }, good, other),
    "a known kid, signed by another key": rs256(hdr, good, other),
    "expired": rs256(hdr, { ...good, iat: now - 7200, nbf: now - 7200, exp: now - 3600 }, pem),
    "not yet valid": rs256(hdr, { ...good, nbf: now + 3600, exp: now + 7200 }, pem),
    "wrong aud": rs256(hdr, { ...good, aud: "https://management.azure.com/" }, pem),
    "wrong iss": rs256(hdr, { ...good, iss: `https://sts.windows.net/${ep.tenantId}/` }, pem),
    "another tenant's tid": rs256(hdr, { ...good, tid: otherTenant }, pem),
    "another tenant's tid and iss": rs256(hdr, { ...good, tid: otherTenant, iss: `${ep.authority}/${otherTenant}/` }, pem),
    "tampered payload": `${h0}.${tamperedPayload}.${s0}`,
    "tampered signature": `${h0}.${p0}.${flipped}`,
    "no exp": rs256(hdr, (({ exp, ...rest }) => rest)(good), pem),
  };
  for (const [name, tok] of Object.entries(attacks)) {
    const r = await https("GET", url, { bearer: tok });
    assert.equal(r.status, 401, `${name}: ${r.status} ${r.text}`);
    assert.ok(r.headers["www-authenticate"], name);
    assert.equal(r.body.error.code, "Unauthorized", name);
    const w = await https("PUT", url, { bearer: tok, body: { value: "pwned" } });
    assert.equal(w.status, 401, `${name} (write)`);
  }
  // Nothing was written by the forged requests.
  const s = await https("GET", url, { bearer: vaultTok });
  assert.equal(s.body.value, "x");
  // A genuine token is refused at a vault of another tenant.
  const ov = await mkVault("kv-other-tenant", { tenantId: otherTenant, accessPolicies: [
    { tenantId: otherTenant, objectId: ep.admin.objectId, permissions: { secrets: ["all"] } }] });
  const r = await https("GET", `${ov.properties.vaultUri}secrets/t?api-version=7.4`, { bearer: vaultTok });
  assert.equal(r.status, 401);
  assert.match(r.headers["www-authenticate"], new RegExp(`${otherTenant}"`));
  assert.ok(!srv.output().includes(vaultTok.split(".")[2]), "tokens never reach the log");
});

test("vault endpoints survive a restart on the same ports, with their secrets", async () => {
  const v = await mkVault("kv-restart", { accessPolicies: [policy(ep.admin.objectId, ["all"])] });
  const url = v.properties.vaultUri;
  assert.equal((await https("PUT", `${url}secrets/keep?api-version=7.4`, { bearer: vaultTok, body: { value: "kept" } })).status, 200);
  assert.equal((await srv.stop()).code, 0);
  srv = await startMident({ dataDir: srv.dataDir, args: ["--no-agent"] });
  ep = srv.endpoints;
  armTok = await adminToken(ep);
  vaultTok = await adminToken(ep, VAULT_RES);
  const r = await https("GET", `${url}secrets/keep?api-version=7.4`, { bearer: vaultTok });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.value, "kept");
});
