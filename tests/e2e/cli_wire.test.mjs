// cli_wire.test.mjs -- the requests the `mident` CLI sends, checked
// against a scripted ARM server (plain HTTP on loopback, a data directory
// whose endpoints.json points at it). A real `mident up` finishes every
// operation at once; this server answers "InProgress" first, pages lists,
// fails operations and hands out foreign URLs, so the CLI's wire sequence
// (az's: GET, listSecrets, PUT the whole app, poll Azure-AsyncOperation,
// GET; DELETE, poll Location) and its refusals are seen request by request.
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir, cli } from "./lib/harness.mjs";

const SUB = "11111111-2222-4333-8444-555555555555";
const TENANT = "99999999-8888-4777-8666-555555555555";
const RG = "rg";
const APP = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.App/containerApps/app`;
const ENV = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.App/managedEnvironments/mident-default-env`;
const UAMI = (n) => `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${n}`;

let server, base, dir, log, routes;

// routes: "METHOD /path" -> handler(req, body) returning {status, headers, body}
// or an array of answers given in turn (the last repeats).
function answer(key, req, body) {
  const r = routes[key];
  if (!r) return { status: 404, body: { error: { code: "NotScripted", message: key } } };
  if (typeof r === "function") return r(req, body);
  if (Array.isArray(r)) return r.length > 1 ? r.shift() : r[0];
  return r;
}

before(async () => {
  server = createServer((req, res) => {
    let text = "";
    req.on("data", (d) => (text += d));
    req.on("end", () => {
      const url = new URL(req.url, base);
      const entry = { method: req.method, path: url.pathname, query: Object.fromEntries(url.searchParams),
                      auth: req.headers.authorization, raw: text };
      try { entry.body = text ? JSON.parse(text) : undefined; } catch { entry.body = undefined; }
      log.push(entry);
      let a;
      if (req.method === "POST" && url.pathname === `/${TENANT}/oauth2/token`)
        a = { status: 200, body: { access_token: "fake-arm-token", token_type: "Bearer", expires_in: "3600",
                                   expires_on: String(Math.floor(Date.now() / 1000) + 3600) } };
      else a = answer(`${req.method} ${url.pathname}`, req, entry.body);
      res.writeHead(a.status, { "content-type": "application/json", ...(a.headers || {}) });
      res.end(a.body === undefined ? "" : JSON.stringify(a.body));
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${server.address().port}`;
  dir = tempDir("mident-cli-wire-");
  writeFileSync(join(dir, "endpoints.json"), JSON.stringify({
    arm: base, authority: base, tenantId: TENANT, subscriptionId: SUB,
    admin: { clientId: "admin-client", clientSecret: "admin-secret" } }), { mode: 0o600 });
});
after(() => server.close());
beforeEach(() => { log = []; routes = {}; });

const arm = () => log.filter((e) => !e.path.endsWith("/oauth2/token"));
const seq = () => arm().map((e) => `${e.method} ${e.path}`);

function appDoc(identity, secrets) {
  const d = { id: APP, name: "app", type: "Microsoft.App/containerApps", location: "westus",
              properties: { provisioningState: "Succeeded", environmentId: ENV,
                            configuration: { activeRevisionsMode: "Single" },
                            template: { containers: [{ name: "app", image: "busybox" }] } } };
  if (identity) d.identity = identity;
  if (secrets) d.properties.configuration.secrets = secrets;
  return d;
}

test("create: PUT, 201 + Azure-AsyncOperation polled through InProgress, then GET; az's api-versions", async () => {
  const op = `/subscriptions/${SUB}/providers/Microsoft.App/locations/westus/containerappOperationStatuses/op1`;
  routes[`GET ${ENV}`] = { status: 200, body: { id: ENV, location: "westus" } };
  routes[`PUT ${APP}`] = { status: 201, body: appDoc(),
                           headers: { "azure-asyncoperation": `${base}${op}?api-version=2025-07-01`, "retry-after-ms": "5" } };
  routes[`GET ${op}`] = [{ status: 200, body: { status: "InProgress" } }, { status: 200, body: { status: "InProgress" } },
                         { status: 200, body: { status: "Succeeded" } }];
  routes[`GET ${APP}`] = { status: 200, body: appDoc({ type: "None" }) };
  const r = await cli(dir, ["containerapp", "create", "-n", "app", "-g", RG, "--image", "busybox",
                            "--user-assigned", "ida", "--system-assigned"]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(seq(), [`GET ${ENV}`, `PUT ${APP}`, `GET ${op}`, `GET ${op}`, `GET ${op}`, `GET ${APP}`]);
  for (const e of arm()) assert.equal(e.auth, "Bearer fake-arm-token");
  for (const e of arm()) assert.equal(e.query["api-version"], "2025-07-01");
  const put = arm()[1].body;
  assert.equal(put.location, "westus");
  assert.equal(put.properties.environmentId, ENV);
  assert.deepEqual(put.identity, { type: "SystemAssigned,UserAssigned", userAssignedIdentities: { [UAMI("ida")]: {} } });
  assert.deepEqual(r.json.identity, { type: "None" }, "prints the GET after the operation, not the 201 body");
  // the token request carried the admin credential as a form
  const tok = log.find((e) => e.path.endsWith("/oauth2/token"));
  assert.match(tok.raw, /grant_type=client_credentials/);
  assert.match(tok.raw, /client_id=admin-client/);
});

test("identity assign: GET, POST listSecrets, PUT the whole app with the secrets, print identity", async () => {
  const secrets = [{ name: "s1" }];
  routes[`GET ${APP}`] = { status: 200, body: appDoc({ type: "SystemAssigned", principalId: "p", tenantId: TENANT }, secrets) };
  routes[`POST ${APP}/listSecrets`] = { status: 200, body: { value: [{ name: "s1", value: "v1" }] } };
  routes[`PUT ${APP}`] = (req, body) => ({ status: 200, body: { ...body, identity: { ...body.identity, principalId: "p" } } });
  const r = await cli(dir, ["containerapp", "identity", "assign", "-n", "app", "-g", RG, "--identities", "ida", UAMI("idb").toUpperCase()]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(seq(), [`GET ${APP}`, `POST ${APP}/listSecrets`, `PUT ${APP}`]);
  const put = arm()[2].body;
  assert.equal(put.identity.type, "SystemAssigned,UserAssigned");
  assert.deepEqual(Object.keys(put.identity.userAssignedIdentities), [UAMI("ida"), UAMI("idb").toUpperCase()]);
  assert.deepEqual(put.properties.configuration.secrets, [{ name: "s1", value: "v1" }]);
  assert.equal(put.properties.template.containers[0].image, "busybox", "the whole envelope is sent");
  assert.equal(r.json.type, "SystemAssigned,UserAssigned");
  assert.ok(!r.stdout.includes("v1"), "secret value printed");
});

test("no listSecrets without secrets; remove the last user identity sends type None and a null map", async () => {
  routes[`GET ${APP}`] = { status: 200, body: appDoc({ type: "UserAssigned",
    userAssignedIdentities: { [UAMI("ida").toLowerCase()]: { principalId: "x", clientId: "y" } } }) };
  routes[`PUT ${APP}`] = (req, body) => ({ status: 200, body });
  const r = await cli(dir, ["identity", "remove", "-n", "app", "-g", RG, "--identities", "IDA"]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(seq(), [`GET ${APP}`, `PUT ${APP}`]);
  assert.deepEqual(arm()[1].body.identity, { type: "None", userAssignedIdentities: null });
});

test("a failed operation is an error with its message; a status without status is an error", async () => {
  const op = `/subscriptions/${SUB}/providers/Microsoft.App/locations/westus/containerappOperationStatuses/op2`;
  routes[`GET ${APP}`] = { status: 200, body: appDoc({ type: "None" }) };
  routes[`PUT ${APP}`] = { status: 201, body: appDoc(), headers: { "azure-asyncoperation": `${base}${op}`, "retry-after": "0" } };
  routes[`GET ${op}`] = { status: 200, body: { status: "Failed", error: { code: "Boom", message: "it broke" } } };
  let r = await cli(dir, ["containerapp", "identity", "assign", "-n", "app", "-g", RG]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^ERROR: \(Boom\) it broke$/m);
  log = [];
  routes[`GET ${op}`] = { status: 200, body: { nostatus: true } };
  r = await cli(dir, ["containerapp", "identity", "assign", "-n", "app", "-g", RG]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no 'status'/);
});

test("an operation URL on another origin is refused: the token is not sent there", async () => {
  routes[`GET ${APP}`] = { status: 200, body: appDoc({ type: "None" }) };
  routes[`PUT ${APP}`] = { status: 201, body: appDoc(),
                           headers: { "azure-asyncoperation": "http://127.0.0.1:9/steal?api-version=1" } };
  const r = await cli(dir, ["containerapp", "identity", "assign", "-n", "app", "-g", RG]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /not sending the token/);
  assert.deepEqual(seq(), [`GET ${APP}`, `PUT ${APP}`]);
});

test("group delete: 202 + Location polled until it stops answering 202; --no-wait does not poll", async () => {
  const g = `/subscriptions/${SUB}/resourceGroups/${RG}`;
  const loc = `/subscriptions/${SUB}/operationresults/abc`;
  routes[`DELETE ${g}`] = { status: 202, headers: { location: `${base}${loc}?api-version=2024-03-01`, "retry-after-ms": "5" } };
  routes[`GET ${loc}`] = [{ status: 202, headers: { "retry-after-ms": "5" } }, { status: 202 }, { status: 200 }];
  let r = await cli(dir, ["group", "delete", "-n", RG, "--yes"]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(seq(), [`DELETE ${g}`, `GET ${loc}`, `GET ${loc}`, `GET ${loc}`]);
  assert.equal(arm()[0].query["api-version"], "2024-03-01");
  log = [];
  routes[`GET ${loc}`] = { status: 202 };
  r = await cli(dir, ["group", "delete", "-n", RG, "--yes", "--no-wait"]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(seq(), [`DELETE ${g}`]);
});

test("lists follow nextLink; the MSI api-version; -o tsv one line per item", async () => {
  const p = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities`;
  const item = (n) => ({ id: UAMI(n), name: n, type: "Microsoft.ManagedIdentity/userAssignedIdentities", location: "westus",
                         properties: { clientId: `c-${n}`, principalId: `p-${n}`, tenantId: TENANT } });
  routes[`GET ${p}`] = (req) => new URL(req.url, base).searchParams.get("page") === "2"
    ? { status: 200, body: { value: [item("idb")] } }
    : { status: 200, body: { value: [item("ida")], nextLink: `${base}${p}?api-version=2024-11-30&page=2` } };
  const r = await cli(dir, ["identity", "list", "-g", RG]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.json.map((x) => [x.name, x.clientId, x.resourceGroup]), [["ida", "c-ida", RG], ["idb", "c-idb", RG]]);
  assert.equal(arm()[0].query["api-version"], "2024-11-30");
  log = [];
  const t = await cli(dir, ["-o", "tsv", "identity", "list", "-g", RG]);
  assert.equal(t.stdout.trim().split("\n").length, 2);
});

test("ARM errors become ERROR: (Code) message with exit 1; names that would change the path are refused", async () => {
  routes[`GET ${APP}`] = { status: 404, body: { error: { code: "ResourceNotFound", message: "The Resource 'app' was not found." } } };
  let r = await cli(dir, ["containerapp", "show", "-n", "app", "-g", RG]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim(), "ERROR: (ResourceNotFound) The Resource 'app' was not found.");
  log = [];
  r = await cli(dir, ["containerapp", "show", "-n", "../x", "-g", RG]);
  assert.equal(r.code, 1);
  r = await cli(dir, ["identity", "show", "-n", "a?b", "-g", RG]);
  assert.equal(r.code, 1);
  assert.deepEqual(seq(), [], "nothing was sent");
});
