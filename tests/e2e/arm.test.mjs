// arm.test.mjs -- the resource manager end to end: a real `mident up`,
// the unmodified @azure/arm-msi and @azure/arm-appcontainers SDKs (in a
// child process trusting mident's CA), and raw ARM requests for the wire
// shapes, errors, authorization and "a rejected request changes nothing".
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { randomUUID } from "node:crypto";
import { startMident, runClient, adminToken, cli, decodeJwt } from "./lib/harness.mjs";

let srv, ep, token, ca, sub;
const LOC = "westeurope";
const API = "api-version=2025-07-01";
const ROLE = {
  owner: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
  contributor: "b24988ac-6180-42a0-ab88-20f7382dd24c",
  reader: "acdd72a7-3c48-4b2a-8f25-8b3a8c0ad5f1",
  miOperator: "f1a07417-d97a-45cb-824c-7a7467783830",
};

before(async () => {
  srv = await startMident();
  ep = srv.endpoints;
  sub = ep.subscriptionId;
  ca = readFileSync(ep.caCert);
  token = await adminToken(ep);
});
after(async () => { if (srv) await srv.stop(); });

// One ARM request from this process, trusting mident's CA explicitly.
// path is relative to the ARM base; api-version is added when missing.
function arm(method, path, body, { bearer = token, headers = {}, raw = false } = {}) {
  let url = path.startsWith("http") ? path : ep.arm.replace(/\/$/, "") + path;
  if (!raw && !/[?&]api-version=/.test(url)) url += (url.includes("?") ? "&" : "?") + API;
  const data = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
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

const group = (rg) => `/subscriptions/${sub}/resourceGroups/${rg}`;
const uami = (rg, n) => `${group(rg)}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${n}`;
const envId = (rg, n) => `${group(rg)}/providers/Microsoft.App/managedEnvironments/${n}`;
const appId = (rg, n) => `${group(rg)}/providers/Microsoft.App/containerApps/${n}`;
const roleDef = (g) => `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${g}`;

async function mkGroup(rg) {
  const r = await arm("PUT", group(rg), { location: LOC });
  assert.ok(r.status === 201 || r.status === 200, r.text);
}
async function mkEnv(rg, n = "env1") {
  const r = await arm("PUT", envId(rg, n), { location: LOC });
  assert.ok(r.status === 201 || r.status === 200, r.text);
  return r.body.id;
}
function appBody(rg, extra = {}) {
  return { location: LOC, properties: { environmentId: envId(rg, "env1"),
    configuration: { secrets: [{ name: "pw", value: "s3cret" }] },
    template: { containers: [{ name: "main", image: "busybox" }] } }, ...extra };
}
async function assign(scope, role, principalId) {
  const r = await arm("PUT", `${scope}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`,
    { properties: { roleDefinitionId: roleDef(role), principalId } }, { headers: {} });
  assert.equal(r.status, 201, r.text);
  return r.body;
}
// Whether a principal still exists in the directory, asked through ARM:
// a role assignment for a missing principal is refused with PrincipalNotFound.
async function principalExists(oid) {
  const path = `/subscriptions/${sub}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`;
  const r = await arm("PUT", path, { properties: { roleDefinitionId: roleDef(ROLE.reader), principalId: oid } });
  if (r.status === 201) { await arm("DELETE", path); return true; }
  assert.equal(r.body?.error?.code, "PrincipalNotFound", r.text);
  return false;
}

test("no token is 401 with a Bearer challenge; a bad token is 401 InvalidAuthenticationToken", async () => {
  const r = await arm("GET", `/subscriptions/${sub}/resourcegroups`, undefined, { bearer: null });
  assert.equal(r.status, 401);
  assert.equal(r.body.error.code, "AuthenticationFailed");
  assert.match(r.headers["www-authenticate"], /^Bearer authorization_uri="https:\/\/[^"]+\/[0-9a-f-]{36}", error="invalid_token"/);
  const bad = await arm("GET", `/subscriptions/${sub}/resourcegroups`, undefined, { bearer: "x.y.z" });
  assert.equal(bad.status, 401);
  assert.equal(bad.body.error.code, "InvalidAuthenticationToken");
  // a token for another audience is not an ARM token
  const vault = await adminToken(ep, "https://vault.azure.net");
  const wrong = await arm("GET", `/subscriptions/${sub}/resourcegroups`, undefined, { bearer: vault });
  assert.equal(wrong.status, 401);
  // the other management audience is accepted
  const core = await adminToken(ep, "https://management.core.windows.net/");
  assert.equal((await arm("GET", `/subscriptions/${sub}/resourcegroups`, undefined, { bearer: core })).status, 200);
});

test("api-version is required, any value accepted; subscriptions, tenants and providers", async () => {
  const r = await arm("GET", `${ep.arm}/subscriptions/${sub}/resourcegroups`, undefined, { raw: true });
  assert.equal(r.status, 400);
  assert.equal(r.body.error.code, "MissingApiVersionParameter");
  assert.equal((await arm("GET", `/subscriptions/${sub}/resourcegroups?api-version=2099-01-01-preview`)).status, 200);
  const subs = await arm("GET", "/subscriptions?api-version=2019-11-01");
  assert.equal(subs.body.value.length, 1);
  assert.equal(subs.body.value[0].subscriptionId, sub);
  assert.equal(subs.body.value[0].tenantId, ep.tenantId);
  assert.equal(subs.body.value[0].state, "Enabled");
  assert.equal((await arm("GET", "/tenants")).body.value[0].tenantId, ep.tenantId);
  const p = await arm("GET", `/subscriptions/${sub}/providers/microsoft.app?api-version=2021-04-01`);
  assert.equal(p.body.registrationState, "Registered");
  const ca = p.body.resourceTypes.find((t) => t.resourceType === "containerApps");
  assert.ok(ca.apiVersions.includes("2025-07-01"));
  const all = await arm("GET", `/subscriptions/${sub}/providers`);
  for (const ns of ["Microsoft.App", "Microsoft.ManagedIdentity", "Microsoft.KeyVault", "Microsoft.Resources", "Microsoft.Authorization"])
    assert.ok(all.body.value.some((x) => x.namespace === ns && x.registrationState === "Registered"), ns);
  const other = await arm("GET", `/subscriptions/${randomUUID()}/resourcegroups`);
  assert.equal(other.status, 404);
  assert.equal(other.body.error.code, "SubscriptionNotFound");
});

test("resource groups: create, read, head, patch, list, case-insensitive paths, names keep case", async () => {
  const c = await arm("PUT", `/subscriptions/${sub}/resourcegroups/Rg-Case`, { location: "West Europe", tags: { a: "1" } });
  assert.equal(c.status, 201, c.text);
  assert.equal(c.body.name, "Rg-Case");
  assert.equal(c.body.location, "westeurope");
  assert.equal(c.body.properties.provisioningState, "Succeeded");
  assert.equal(c.body.type, "Microsoft.Resources/resourceGroups");
  assert.ok(c.headers.etag);
  const g = await arm("GET", `/SUBSCRIPTIONS/${sub}/RESOURCEGROUPS/rg-case`);
  assert.equal(g.status, 200);
  assert.equal(g.body.id, `/subscriptions/${sub}/resourceGroups/Rg-Case`);
  assert.equal((await arm("HEAD", group("rg-case"))).status, 204);
  assert.equal((await arm("HEAD", group("nope"))).status, 404);
  const p = await arm("PATCH", group("rg-case"), { tags: { b: "2" } });
  assert.deepEqual(p.body.tags, { b: "2" }, "PATCH replaces the tag set, as ARM does");
  const u = await arm("PUT", group("rg-case"), { location: "westeurope" });
  assert.equal(u.status, 200);
  const moved = await arm("PUT", group("rg-case"), { location: "eastus" });
  assert.equal(moved.status, 400);
  const l = await arm("GET", `/subscriptions/${sub}/resourcegroups`);
  assert.ok(l.body.value.some((x) => x.name === "Rg-Case"));
  const missing = await arm("GET", group("nope"));
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.code, "ResourceGroupNotFound");
  const badName = await arm("PUT", group("bad.name."), { location: LOC });
  assert.equal(badName.status, 400);
});

test("unmodified @azure/arm-msi and @azure/arm-appcontainers: identities and container apps", async () => {
  await mkGroup("rg-sdk");
  const r = await runClient(ep, "arm_sdk.mjs", [ep.arm, sub, "rg-sdk", LOC], { ARM_TOKEN: token });
  const o = r.json;
  assert.ok(o, `no output: ${r.stdout}\n${r.stderr}`);
  assert.equal(o.error, undefined, JSON.stringify(o.error));
  const uuid = /^[0-9a-f-]{36}$/;
  // identities: principal created, stable across PUT and PATCH
  assert.match(o.idA.principalId, uuid);
  assert.match(o.idA.clientId, uuid);
  assert.equal(o.idA.tenantId, ep.tenantId);
  assert.equal(o.idARePut.principalId, o.idA.principalId);
  assert.equal(o.idARePut.clientId, o.idA.clientId);
  assert.deepEqual(o.idARePut.tags, { k: "v2" });
  assert.deepEqual(o.idAPatched.tags, { patched: "yes" });
  assert.equal(o.idAGet, o.idA.principalId);
  assert.deepEqual(o.listByGroup, ["id-a", "id-b"]);
  assert.ok(o.listBySub.includes("id-a") && o.listBySub.includes("id-b"));
  // app lifecycle
  assert.equal(o.env.state, "Succeeded");
  assert.equal(o.created.type, "SystemAssigned");
  assert.match(o.created.principalId, uuid);
  assert.equal(o.created.tenantId, ep.tenantId);
  assert.equal(o.created.state, "Succeeded");
  assert.equal(o.created.secrets[0].value, undefined, "secret values are redacted");
  assert.equal(o.two.type, "SystemAssigned,UserAssigned");
  assert.equal(o.two.principalId, o.created.principalId, "system identity kept");
  assert.deepEqual(o.two.ids, [o.idA.id, o.idB.id].map((x) => x.toLowerCase()).sort());
  const entries = Object.values(o.two.entries);
  assert.ok(entries.some((e) => e.principalId === o.idA.principalId && e.clientId === o.idA.clientId));
  assert.deepEqual(o.one.ids, [o.idB.id.toLowerCase()]);
  assert.equal(o.off.type, "UserAssigned");
  assert.equal(o.off.principalId, null);
  assert.deepEqual(o.off.ids, [o.idB.id.toLowerCase()]);
  assert.equal(o.on.type, "SystemAssigned,UserAssigned");
  assert.match(o.on.principalId, uuid);
  assert.notEqual(o.on.principalId, o.created.principalId, "a new system principal");
  assert.equal(o.uaOnly.type, "UserAssigned");
  assert.equal(o.none.type, "None");
  assert.deepEqual(o.none.ids, []);
  assert.equal(o.sysOnly.type, "SystemAssigned");
  assert.equal(o.updated.image, "busybox:1.36");
  assert.equal(o.updated.principalId, o.sysOnly.principalId, "identity survives a new revision");
  assert.equal(o.updated.revisionChanged, true);
  assert.deepEqual(o.secrets, [{ name: "pw", value: "s3cret" }]);
  assert.deepEqual(o.appsByGroup, ["app1"]);
  assert.ok(o.appsBySub.includes("app1"));
  assert.equal(o.stopped, "Stopped");
  assert.equal(o.started, "Running");
  assert.equal(o.appAfterDelete, 404);
  assert.equal(o.idAfterDelete, 404);
  // principal lifecycle, seen from the directory
  assert.equal(await principalExists(o.created.principalId), false, "system off deleted its principal");
  assert.equal(await principalExists(o.on.principalId), false, "switching to UserAssigned deleted it");
  assert.equal(await principalExists(o.lastSystemPrincipal), false, "deleting the app deleted it");
  assert.equal(await principalExists(o.idA.principalId), false, "deleting the identity deleted it");
  assert.equal(await principalExists(o.idB.principalId), true);
});

test("system identity: identities/default, az-style full PUT with read-only fields and null map", async () => {
  await mkGroup("rg-sys");
  await mkEnv("rg-sys");
  await arm("PUT", uami("rg-sys", "uami1"), { location: LOC });
  const c = await arm("PUT", appId("rg-sys", "app"), appBody("rg-sys", { identity: { type: "systemassigned" } }));
  assert.equal(c.status, 201, c.text);
  assert.match(c.headers["azure-asyncoperation"], /containerappOperationStatuses/);
  const op = await arm("GET", c.headers["azure-asyncoperation"], undefined, { raw: true });
  assert.equal(op.status, 200);
  assert.equal(op.body.status, "Succeeded");
  const pid = c.body.identity.principalId;
  const d = await arm("GET", `${appId("rg-sys", "app")}/providers/Microsoft.ManagedIdentity/identities/default`);
  assert.equal(d.status, 200, d.text);
  assert.equal(d.body.properties.principalId, pid);
  assert.match(d.body.properties.clientId, /^[0-9a-f-]{36}$/);
  // azure-cli's assign: GET, listSecrets, full PUT with everything sent back
  const got = (await arm("GET", appId("rg-sys", "app"))).body;
  const secrets = (await arm("POST", `${appId("rg-sys", "app")}/listSecrets`)).body.value;
  got.properties.configuration.secrets = secrets;
  got.identity.type = "SystemAssigned,UserAssigned";
  got.identity.userAssignedIdentities = {
    [uami("rg-sys", "uami1").replace("resourceGroups", "resourcegroups").toLowerCase()]: {} };
  const put = await arm("PUT", appId("rg-sys", "app"), got);
  assert.equal(put.status, 200, put.text);
  assert.equal(put.body.identity.principalId, pid);
  assert.equal(Object.keys(put.body.identity.userAssignedIdentities).length, 1);
  // remove --system-assigned: principalId/tenantId still sent, type UserAssigned
  put.body.identity.type = "UserAssigned";
  const noSys = await arm("PUT", appId("rg-sys", "app"), put.body);
  assert.equal(noSys.status, 200, noSys.text);
  assert.equal(noSys.body.identity.principalId, undefined);
  assert.equal(await principalExists(pid), false);
  assert.equal((await arm("GET", `${appId("rg-sys", "app")}/providers/Microsoft.ManagedIdentity/identities/default`)).status, 404);
  // remove everything: {"type":"None","userAssignedIdentities":null}
  noSys.body.identity = { type: "None", userAssignedIdentities: null };
  const none = await arm("PUT", appId("rg-sys", "app"), noSys.body);
  assert.equal(none.status, 200, none.text);
  assert.deepEqual(none.body.identity, { type: "None" });
  // the secret survived the round trips
  assert.deepEqual((await arm("POST", `${appId("rg-sys", "app")}/listSecrets`)).body.value, [{ name: "pw", value: "s3cret" }]);
});

test("a malformed body, unknown type, bad id or wrong etag changes nothing", async () => {
  await mkGroup("rg-bad");
  await mkEnv("rg-bad");
  await arm("PUT", uami("rg-bad", "good"), { location: LOC });
  const c = await arm("PUT", appId("rg-bad", "app"), appBody("rg-bad", { identity: { type: "SystemAssigned" } }));
  assert.equal(c.status, 201, c.text);
  const before = await arm("GET", appId("rg-bad", "app"));
  const unchanged = async (what) => {
    const now = await arm("GET", appId("rg-bad", "app"));
    assert.equal(now.headers.etag, before.headers.etag, `${what} changed the app`);
    assert.deepEqual(now.body, before.body, what);
  };
  const cases = [
    ["malformed JSON", "PUT", "{\"location\":", 400, "InvalidRequestContent"],
    ["duplicate keys", "PUT", "{\"location\":\"a\",\"location\":\"b\"}", 400, "InvalidRequestContent"],
    ["not an object", "PATCH", "[1]", 400, "InvalidRequestContent"],
    ["unknown identity type", "PATCH", { identity: { type: "Sometimes" } }, 400, null],
    ["bad identity id", "PATCH", { identity: { type: "UserAssigned", userAssignedIdentities: { "not-an-id": {} } } }, 400, null],
    ["missing identity", "PATCH", { identity: { type: "SystemAssigned,UserAssigned",
        userAssignedIdentities: { [uami("rg-bad", "good")]: {}, [uami("rg-bad", "missing")]: {} } } }, 400, null],
    ["template without image", "PATCH", { properties: { template: { containers: [{ name: "x" }] } } }, 400, null],
    ["unknown secretRef", "PATCH", { properties: { template: { containers: [{ name: "x", image: "y", env: [{ name: "E", secretRef: "nope" }] }] } } }, 400, null],
    ["location change", "PATCH", { location: "eastus" }, 400, null],
    ["bad tags", "PATCH", { tags: { a: 1 } }, 400, "InvalidTag"],
  ];
  for (const [what, method, body, status, code] of cases) {
    const r = await arm(method, appId("rg-bad", "app"), body);
    assert.equal(r.status, status, `${what}: ${r.text}`);
    assert.ok(r.body.error.message, what);
    if (code) assert.equal(r.body.error.code, code, what);
    assert.ok(Array.isArray(r.body.error.details), what);
    await unchanged(what);
  }
  const missingNamed = await arm("PATCH", appId("rg-bad", "app"), { identity: { type: "UserAssigned",
    userAssignedIdentities: { [uami("rg-bad", "missing")]: {} } } });
  assert.match(missingNamed.body.error.message, /missing/);
  const wrongEtag = await arm("PATCH", appId("rg-bad", "app"), { tags: { x: "y" } }, { headers: { "if-match": "\"nope\"" } });
  assert.equal(wrongEtag.status, 412);
  assert.equal(wrongEtag.body.error.code, "PreconditionFailed");
  await unchanged("wrong etag");
  const exists = await arm("PUT", appId("rg-bad", "app"), appBody("rg-bad"), { headers: { "if-none-match": "*" } });
  assert.equal(exists.status, 412);
  await unchanged("if-none-match");
  const del = await arm("DELETE", appId("rg-bad", "app"), undefined, { headers: { "if-match": "\"nope\"" } });
  assert.equal(del.status, 412);
  await unchanged("delete with wrong etag");
  const ok = await arm("PATCH", appId("rg-bad", "app"), { tags: { x: "y" } }, { headers: { "if-match": before.headers.etag } });
  assert.equal(ok.status, 200, ok.text);
  const unknownType = await arm("PUT", `${group("rg-bad")}/providers/Microsoft.App/widgets/w1`, { location: LOC });
  assert.equal(unknownType.status, 400);
  assert.equal(unknownType.body.error.code, "InvalidResourceType");
  const unknownNs = await arm("PUT", `${group("rg-bad")}/providers/Contoso.Things/widgets/w1`, { location: LOC });
  assert.equal(unknownNs.body.error.code, "InvalidResourceNamespace");
  const noGroup = await arm("PUT", uami("rg-none", "x1x"), { location: LOC });
  assert.equal(noGroup.status, 404);
  assert.equal(noGroup.body.error.code, "ResourceGroupNotFound");
  const badName = await arm("PUT", appId("rg-bad", "Bad_Name"), appBody("rg-bad"));
  assert.equal(badName.status, 400);
  assert.equal((await arm("GET", appId("rg-bad", "Bad_Name"))).status, 404);
});

test("deleting a group cascades to its resources and their principals (202 + Location)", async () => {
  await mkGroup("rg-del");
  await mkEnv("rg-del");
  const id = (await arm("PUT", uami("rg-del", "uami1"), { location: LOC })).body;
  const app = (await arm("PUT", appId("rg-del", "app"), appBody("rg-del", {
    identity: { type: "SystemAssigned,UserAssigned", userAssignedIdentities: { [id.id]: {} } } }))).body;
  await assign(id.id, ROLE.reader, id.properties.principalId);
  const d = await arm("DELETE", group("rg-del"));
  assert.equal(d.status, 202, d.text);
  assert.ok(d.headers.location);
  const poll = await arm("GET", d.headers.location, undefined, { raw: true });
  assert.equal(poll.status, 200);
  assert.equal((await arm("GET", group("rg-del"))).status, 404);
  assert.equal((await arm("GET", uami("rg-del", "uami1"))).body.error.code, "ResourceGroupNotFound");
  assert.equal(await principalExists(id.properties.principalId), false);
  assert.equal(await principalExists(app.identity.principalId), false);
  const l = await arm("GET", `/subscriptions/${sub}/providers/Microsoft.ManagedIdentity/userAssignedIdentities`);
  assert.ok(!l.body.value.some((x) => x.id.toLowerCase().includes("/rg-del/")));
});

test("role definitions and role assignments", async () => {
  const defs = await arm("GET", `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions?$filter=roleName%20eq%20'Reader'&api-version=2022-04-01`, undefined, { raw: true });
  assert.equal(defs.body.value.length, 1);
  assert.equal(defs.body.value[0].name, ROLE.reader);
  const owner = await arm("GET", `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${ROLE.owner}`);
  assert.equal(owner.body.properties.roleName, "Owner");
  const kv = await arm("GET", `/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6`);
  assert.deepEqual(kv.body.properties.permissions[0].dataActions.length, 2);
  // the admin is Owner of the subscription
  const mine = await arm("GET", `/subscriptions/${sub}/providers/Microsoft.Authorization/roleAssignments?$filter=principalId%20eq%20'${ep.admin.objectId}'&api-version=2022-04-01`, undefined, { raw: true });
  assert.ok(mine.body.value.some((a) => a.properties.roleDefinitionId.endsWith(ROLE.owner) && a.properties.scope === `/subscriptions/${sub}`));
  await mkGroup("rg-ra");
  const ident = (await arm("PUT", uami("rg-ra", "who"), { location: LOC })).body;
  const a = await assign(group("rg-ra"), ROLE.reader, ident.properties.principalId);
  assert.equal(a.properties.scope, group("rg-ra"));
  const dup = await arm("PUT", `${group("rg-ra")}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`,
    { properties: { roleDefinitionId: roleDef(ROLE.reader), principalId: ident.properties.principalId } });
  assert.equal(dup.status, 409);
  assert.equal(dup.body.error.code, "RoleAssignmentExists");
  const badRole = await arm("PUT", `${group("rg-ra")}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`,
    { properties: { roleDefinitionId: roleDef(randomUUID()), principalId: ident.properties.principalId } });
  assert.equal(badRole.status, 400);
  const badName = await arm("PUT", `${group("rg-ra")}/providers/Microsoft.Authorization/roleAssignments/not-a-guid`,
    { properties: { roleDefinitionId: roleDef(ROLE.reader), principalId: ident.properties.principalId } });
  assert.equal(badName.status, 400);
  const atRes = await assign(ident.id, ROLE.miOperator, ident.properties.principalId);
  const listAt = await arm("GET", `${ident.id}/providers/Microsoft.Authorization/roleAssignments?$filter=atScope()&api-version=2022-04-01`, undefined, { raw: true });
  const names = listAt.body.value.map((x) => x.name);
  assert.ok(names.includes(a.name) && names.includes(atRes.name));
  const listGroup = await arm("GET", `${group("rg-ra")}/providers/Microsoft.Authorization/roleAssignments?$filter=atScope()&api-version=2022-04-01`, undefined, { raw: true });
  assert.ok(!listGroup.body.value.some((x) => x.name === atRes.name), "atScope() excludes assignments below");
  const got = await arm("GET", a.id);
  assert.equal(got.body.name, a.name);
  const del = await arm("DELETE", a.id);
  assert.equal(del.status, 200);
  assert.equal((await arm("GET", a.id)).status, 404);
  assert.equal((await arm("DELETE", a.id)).status, 204);
});

// A second principal with its own credential, made with the CLI the way
// `az ad sp create-for-rbac` does. Returns {token, oid} or null when the CLI
// offers no such command.
async function servicePrincipal(name) {
  const r = await cli(srv.dataDir, ["ad", "sp", "create-for-rbac", "--name", name]);
  if (r.code !== 0 || !r.json?.appId || !r.json?.password) return null;
  const t = await runClient(ep, "oauth_token.mjs", [ep.authority, ep.tenantId, r.json.appId,
    r.json.password, "https://management.azure.com/", "v1"]);
  const access = t.json?.body?.access_token;
  if (!access) return null;
  return { token: access, oid: decodeJwt(access).payload.oid };
}

test("authorization: Reader cannot write, Contributor needs assign rights on an identity", async () => {
  const reader = await servicePrincipal("arm-e2e-reader");
  const contributor = reader && (await servicePrincipal("arm-e2e-contributor"));
  assert.ok(reader && contributor, "mident ad sp create-for-rbac creates principals that can log in");
  await mkGroup("rg-authz");
  await mkGroup("rg-ids");
  await mkEnv("rg-authz");
  const theirs = (await arm("PUT", uami("rg-ids", "theirs"), { location: LOC })).body;
  await assign(group("rg-authz"), ROLE.reader, reader.oid);
  await assign(group("rg-authz"), ROLE.contributor, contributor.oid);
  const as = (p) => ({ bearer: p.token });
  // Reader reads, cannot write or list secrets
  assert.equal((await arm("GET", group("rg-authz"), undefined, as(reader))).status, 200);
  const w = await arm("PUT", uami("rg-authz", "r1x"), { location: LOC }, as(reader));
  assert.equal(w.status, 403);
  assert.equal(w.body.error.code, "AuthorizationFailed");
  assert.equal((await arm("GET", uami("rg-authz", "r1x"))).status, 404, "nothing was written");
  // Contributor writes in its group, but not role assignments, and not elsewhere
  const c = await arm("PUT", appId("rg-authz", "capp"), appBody("rg-authz"), as(contributor));
  assert.equal(c.status, 201, c.text);
  assert.equal((await arm("POST", `${appId("rg-authz", "capp")}/listSecrets`, undefined, as(reader))).status, 403);
  const ra = await arm("PUT", `${group("rg-authz")}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`,
    { properties: { roleDefinitionId: roleDef(ROLE.owner), principalId: contributor.oid } }, as(contributor));
  assert.equal(ra.status, 403);
  assert.equal((await arm("PUT", uami("rg-ids", "c2x"), { location: LOC }, as(contributor))).status, 403);
  // attaching an identity it has no rights on: LinkedAuthorizationFailed, nothing changes
  const before = await arm("GET", appId("rg-authz", "capp"));
  const link = await arm("PATCH", appId("rg-authz", "capp"),
    { identity: { type: "UserAssigned", userAssignedIdentities: { [theirs.id]: {} } } }, as(contributor));
  assert.equal(link.status, 403, link.text);
  assert.equal(link.body.error.code, "LinkedAuthorizationFailed");
  assert.equal((await arm("GET", appId("rg-authz", "capp"))).headers.etag, before.headers.etag);
  // Managed Identity Operator on that identity makes it work
  await assign(theirs.id, ROLE.miOperator, contributor.oid);
  const ok = await arm("PATCH", appId("rg-authz", "capp"),
    { identity: { type: "UserAssigned", userAssignedIdentities: { [theirs.id]: {} } } }, as(contributor));
  assert.equal(ok.status, 200, ok.text);
  // lists only show what the caller may read
  const l = await arm("GET", `/subscriptions/${sub}/providers/Microsoft.ManagedIdentity/userAssignedIdentities`, undefined, as(reader));
  assert.ok(l.body.value.every((x) => x.id.toLowerCase().includes("/rg-authz/")));
});
