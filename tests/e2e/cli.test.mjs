// cli.test.mjs -- the az-like `mident` commands end to end: a real
// `mident up`, the real binary run as a user would (`mident --data DIR
// ...`), and raw ARM requests (trusting mident's CA) to check what the
// commands did on the server. Walks the resource-manager issue's CLI flow:
// group and identity create, containerapp create, `containerapp identity
// assign` (system, then by --identities name), `identity show`,
// `identity remove --identities a,b`, `remove --identities [system]`; then
// the error cases, output formats, role assignments and login/logout.
//
// The tests share one server and run in order (node:test runs top-level
// tests sequentially); each builds on the state the previous left.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, statSync, existsSync } from "node:fs";
import { join } from "node:path";
import { request } from "node:https";
import { startMident, adminToken, cli } from "./lib/harness.mjs";

let srv, ep, dir, sub, ca, token;
const RG = "cli-rg", LOC = "westeurope";
const KV_SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

before(async () => {
  srv = await startMident();
  ep = srv.endpoints;
  dir = srv.dataDir;
  sub = ep.subscriptionId;
  ca = readFileSync(ep.caCert);
  token = await adminToken(ep);
});
after(async () => { if (srv) await srv.stop(); });

const group = (rg) => `/subscriptions/${sub}/resourceGroups/${rg}`;
const uami = (rg, n) => `${group(rg)}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${n}`;
const appPath = (rg, n) => `${group(rg)}/providers/Microsoft.App/containerApps/${n}`;

// Raw ARM request from this process with the admin token (for checks
// independent of the CLI).
function arm(method, path, body) {
  const url = ep.arm.replace(/\/$/, "") + path + (path.includes("?") ? "&" : "?") + "api-version=2025-07-01";
  const data = body === undefined ? undefined : JSON.stringify(body);
  const h = { authorization: `Bearer ${token}` };
  if (data !== undefined) { h["content-type"] = "application/json"; h["content-length"] = Buffer.byteLength(data); }
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: h, ca }, (res) => {
      let text = "";
      res.on("data", (d) => (text += d));
      res.on("end", () => {
        let json; try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
        resolve({ status: res.statusCode, body: json });
      });
    });
    req.on("error", reject);
    if (data !== undefined) req.write(data);
    req.end();
  });
}

// Runs the CLI; asserts success and returns the parsed JSON output.
async function ok(...args) {
  const r = await cli(dir, args);
  assert.equal(r.code, 0, `mident ${args.join(" ")} failed (${r.code}):\n${r.stderr}`);
  return r.json;
}
// Runs the CLI expecting failure with `code`; returns {stdout, stderr}.
async function fails(code, ...args) {
  const r = await cli(dir, args);
  assert.equal(r.code, code, `mident ${args.join(" ")}: want exit ${code}, got ${r.code}\n${r.stdout}${r.stderr}`);
  if (code === 1) assert.match(r.stderr, /^ERROR: /m);
  if (code === 2) assert.match(r.stderr, /usage: mident /);
  return r;
}
// The entry of a userAssignedIdentities map for id (keys compare
// case-insensitively, as ARM ids do).
const uaEntry = (ident, id) => {
  const k = Object.keys(ident.userAssignedIdentities || {}).find((x) => x.toLowerCase() === id.toLowerCase());
  return k ? ident.userAssignedIdentities[k] : undefined;
};

let ida, idb, sysPrincipal;

test("group create/show/list/exists", async () => {
  const g = await ok("group", "create", "-n", RG, "-l", LOC);
  assert.equal(g.name, RG);
  assert.equal(g.location, LOC);
  assert.equal(g.type, "Microsoft.Resources/resourceGroups");
  assert.equal(g.properties.provisioningState, "Succeeded");
  assert.equal(g.id.toLowerCase(), group(RG).toLowerCase());
  // create again without -l keeps the group's location
  assert.equal((await ok("group", "create", "-n", RG, "--tags", "team=id", "x")).location, LOC);
  const shown = await ok("group", "show", "-n", RG);
  assert.deepEqual(shown.tags, { team: "id", x: "" });
  assert.ok((await ok("group", "list")).some((x) => x.name === RG));
  assert.equal(await ok("group", "exists", "-n", RG), true);
  assert.equal(await ok("group", "exists", "-n", "no-such-rg"), false);
});

test("identity create (location from the group), show, list: az's flattened shape", async () => {
  ida = await ok("identity", "create", "-n", "ida", "-g", RG);
  idb = await ok("identity", "create", "-n", "idb", "-g", RG, "--tags", "k=v");
  for (const [i, name] of [[ida, "ida"], [idb, "idb"]]) {
    assert.equal(i.name, name);
    assert.equal(i.location, LOC, "defaults to the group's location");
    assert.equal(i.resourceGroup, RG);
    assert.equal(i.type, "Microsoft.ManagedIdentity/userAssignedIdentities");
    assert.match(i.clientId, UUID); assert.match(i.principalId, UUID);
    assert.equal(i.tenantId, ep.tenantId);
    assert.equal(i.properties, undefined, "properties are flattened");
    assert.equal(i.id.toLowerCase(), uami(RG, name).toLowerCase());
  }
  assert.deepEqual(idb.tags, { k: "v" });
  // the server holds the same principal
  const raw = await arm("GET", uami(RG, "ida"));
  assert.equal(raw.body.properties.principalId, ida.principalId);
  assert.equal(raw.body.properties.clientId, ida.clientId);
  const shown = await ok("identity", "show", "-n", "ida", "-g", RG);
  assert.equal(shown.principalId, ida.principalId);
  assert.equal((await ok("identity", "show", "--ids", ida.id)).clientId, ida.clientId);
  const inGroup = await ok("identity", "list", "-g", RG);
  assert.deepEqual(inGroup.map((x) => x.name).sort(), ["ida", "idb"]);
  assert.ok((await ok("identity", "list")).some((x) => x.clientId === idb.clientId));
});

test("containerapp create: default environment, PUT + poll + GET, secrets never printed", async () => {
  const r = await cli(dir, ["containerapp", "create", "-n", "app", "-g", RG, "--image", "busybox:1",
    "--command", "/bin/sh", "--args", "-c", "sleep 1000",
    "--env-vars", "PLAIN=1", "TOKEN=secretref:s1", "--secrets", "s1=hunter2-secret",
    "--min-replicas", "1", "--max-replicas", "3"]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!r.stdout.includes("hunter2-secret"), "secret value printed");
  const app = r.json;
  assert.equal(app.name, "app");
  assert.equal(app.properties.provisioningState, "Succeeded");
  assert.match(app.properties.environmentId, /\/managedEnvironments\/mident-default-env$/i);
  assert.equal(app.location, LOC, "the default environment is made in the group's location");
  const c = app.properties.template.containers[0];
  assert.equal(c.name, "app");
  assert.equal(c.image, "busybox:1");
  assert.deepEqual(c.command, ["/bin/sh"]);
  assert.deepEqual(c.args, ["-c", "sleep 1000"]);
  assert.deepEqual(c.env, [{ name: "PLAIN", value: "1" }, { name: "TOKEN", secretRef: "s1" }]);
  assert.deepEqual(app.properties.template.scale, { minReplicas: 1, maxReplicas: 3 });
  assert.deepEqual(app.properties.configuration.secrets.map((s) => s.name), ["s1"]);
  const secrets = await arm("POST", appPath(RG, "app") + "/listSecrets");
  assert.deepEqual(secrets.body.value.map((s) => [s.name, s.value]), [["s1", "hunter2-secret"]]);
  assert.equal((await ok("containerapp", "show", "-n", "app", "-g", RG)).id, app.id);
  assert.deepEqual((await ok("containerapp", "list", "-g", RG)).map((x) => x.name), ["app"]);
  assert.ok((await ok("containerapp", "list")).some((x) => x.id === app.id));
  // an explicit --environment by name; an unknown one is ARM's 404
  const app2 = await ok("containerapp", "create", "-n", "app2", "-g", RG, "--image", "busybox:1",
                        "--environment", "mident-default-env", "--system-assigned", "--user-assigned", "ida");
  assert.equal(app2.identity.type, "SystemAssigned,UserAssigned");
  assert.equal(uaEntry(app2.identity, ida.id).principalId, ida.principalId);
  const bad = await fails(1, "containerapp", "create", "-n", "app3", "-g", RG, "--image", "x",
                          "--environment", "no-such-env");
  assert.match(bad.stderr, /ResourceNotFound|not found/i);
  assert.equal((await arm("GET", appPath(RG, "app3"))).status, 404);
});

test("containerapp identity assign with no flag: system-assigned", async () => {
  const ident = await ok("containerapp", "identity", "assign", "-n", "app", "-g", RG);
  assert.equal(ident.type, "SystemAssigned");
  assert.match(ident.principalId, UUID);
  assert.equal(ident.tenantId, ep.tenantId);
  sysPrincipal = ident.principalId;
  const raw = await arm("GET", appPath(RG, "app"));
  assert.equal(raw.body.identity.principalId, sysPrincipal);
});

test("assign --identities NAME: SystemAssigned,UserAssigned with the identity's ids", async () => {
  const ident = await ok("containerapp", "identity", "assign", "--name", "app", "--resource-group", RG,
                         "--identities", "ida");
  assert.equal(ident.type, "SystemAssigned,UserAssigned");
  assert.equal(ident.principalId, sysPrincipal, "the system identity is kept");
  const shown = await ok("identity", "show", "-n", "ida", "-g", RG);
  const e = uaEntry(ident, uami(RG, "ida"));
  assert.ok(e, JSON.stringify(ident));
  assert.equal(e.principalId, shown.principalId);
  assert.equal(e.clientId, shown.clientId);
  // the secrets survived the read-modify-write PUT
  const secrets = await arm("POST", appPath(RG, "app") + "/listSecrets");
  assert.equal(secrets.body.value[0].value, "hunter2-secret");
});

test("assign b (alias `identity assign`, --user-assigned by id); containerapp identity show", async () => {
  const ident = await ok("identity", "assign", "-n", "app", "-g", RG, "--user-assigned", idb.id.toUpperCase());
  assert.equal(ident.type, "SystemAssigned,UserAssigned");
  assert.equal(Object.keys(ident.userAssignedIdentities).length, 2);
  assert.equal(uaEntry(ident, idb.id).clientId, idb.clientId);
  const shown = await ok("containerapp", "identity", "show", "-n", "app", "-g", RG);
  assert.deepEqual(shown, ident);
  // assigning again is a no-op with a warning, like az
  const again = await cli(dir, ["containerapp", "identity", "assign", "-n", "app", "-g", RG, "--identities", "ida"]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /already assigned/);
  assert.equal(Object.keys(again.json.userAssignedIdentities).length, 2);
});

test("identity remove --identities a,b leaves only the system identity", async () => {
  const ident = await ok("identity", "remove", "-n", "app", "-g", RG, "--identities", "ida,idb");
  assert.equal(ident.type, "SystemAssigned");
  assert.equal(ident.principalId, sysPrincipal);
  assert.equal(Object.keys(ident.userAssignedIdentities || {}).length, 0);
  const raw = await arm("GET", appPath(RG, "app"));
  assert.equal(raw.body.identity.type, "SystemAssigned");
  // the identities themselves still exist
  assert.equal((await ok("identity", "show", "-n", "ida", "-g", RG)).principalId, ida.principalId);
});

test("remove --identities [system] gives type None; again is an error", async () => {
  const ident = await ok("containerapp", "identity", "remove", "-n", "app", "-g", RG, "--identities", "[system]");
  assert.equal(ident.type, "None");
  assert.equal(ident.principalId, undefined);
  const r = await fails(1, "containerapp", "identity", "remove", "-n", "app", "-g", RG, "--identities", "[system]");
  assert.match(r.stderr, /has no system or user assigned identities/);
});

test("today's az flags: --system-assigned / --user-assigned; re-enabling gives a new principal", async () => {
  let ident = await ok("containerapp", "identity", "assign", "-n", "app", "-g", RG,
                       "--identities", "[system]", "ida", "idb");
  assert.equal(ident.type, "SystemAssigned,UserAssigned");
  assert.notEqual(ident.principalId, sysPrincipal, "system identity off then on: new principalId");
  ident = await ok("containerapp", "identity", "remove", "-n", "app", "-g", RG, "--system-assigned");
  assert.equal(ident.type, "UserAssigned");
  ident = await ok("containerapp", "identity", "remove", "-n", "app", "-g", RG, "--user-assigned", "idb");
  assert.equal(ident.type, "UserAssigned");
  assert.deepEqual(Object.keys(ident.userAssignedIdentities).map((k) => k.toLowerCase()), [ida.id.toLowerCase()]);
  ident = await ok("containerapp", "identity", "assign", "-n", "app", "-g", RG, "--system-assigned", "--user-assigned", "idb");
  assert.equal(ident.type, "SystemAssigned,UserAssigned");
  ident = await ok("containerapp", "identity", "remove", "-n", "app", "-g", RG, "--user-assigned");
  assert.equal(ident.type, "SystemAssigned", "--user-assigned without ids removes them all");
  ident = await ok("containerapp", "identity", "remove", "-n", "app", "-g", RG, "--identities", "[system]");
  assert.equal(ident.type, "None");
});

test("errors: ARM messages, exit 1; nothing changes", async () => {
  let r = await fails(1, "containerapp", "identity", "assign", "-n", "app", "-g", RG, "--identities", "nosuch");
  assert.match(r.stderr, /InvalidUserAssignedIdentity|does not exist/);
  assert.match(r.stderr, /userAssignedIdentities\/nosuch/);
  assert.equal((await arm("GET", appPath(RG, "app"))).body.identity.type, "None", "unchanged");
  r = await fails(1, "containerapp", "identity", "assign", "-n", "nosuchapp", "-g", RG);
  assert.match(r.stderr, /\(ResourceNotFound\)/);
  r = await fails(1, "containerapp", "identity", "show", "-n", "nosuchapp", "-g", RG);
  assert.match(r.stderr, /\(ResourceNotFound\)/);
  r = await fails(1, "containerapp", "show", "-n", "app", "-g", "nosuch-rg");
  assert.match(r.stderr, /ResourceGroupNotFound|ResourceNotFound/);
  await ok("containerapp", "identity", "assign", "-n", "app", "-g", RG, "--identities", "ida");
  r = await fails(1, "containerapp", "identity", "remove", "-n", "app", "-g", RG, "--identities", "idb");
  assert.match(r.stderr, /does not have specified user identity/);
  r = await fails(1, "containerapp", "identity", "remove", "-n", "app", "-g", RG, "--system-assigned");
  assert.match(r.stderr, /does not have system identity/);
  assert.equal((await arm("GET", appPath(RG, "app"))).body.identity.type, "UserAssigned", "unchanged");
  r = await fails(1, "identity", "create", "-n", "x", "-g", RG);
  assert.match(r.stderr, /\(InvalidResourceName\)/);
  r = await fails(1, "identity", "show", "-n", "nosuch", "-g", RG);
  assert.match(r.stderr, /\(ResourceNotFound\)/);
});

test("usage errors exit 2", async () => {
  await fails(2, "containerapp", "identity", "assign", "-g", RG);           // no --name
  await fails(2, "containerapp", "identity", "assign", "-n", "app", "-g", RG, "--bogus");
  await fails(2, "containerapp", "identity", "remove", "-n", "app", "-g", RG); // nothing to remove
  await fails(2, "containerapp", "create", "-n", "app9", "-g", RG);         // no --image
  await fails(2, "containerapp", "update", "-n", "app", "-g", RG, "--min-replicas", "many");
  await fails(2, "identity", "create", "-n");                               // value missing
  await fails(2, "group", "frobnicate");
  await fails(2, "role", "assignment", "create", "--role", "Reader");       // no assignee
  const r = await cli(dir, ["nosuchcommand"]);
  assert.equal(r.code, 2);
});

test("containerapp update: GET, modify, PUT; identity and secrets untouched", async () => {
  const before = (await arm("GET", appPath(RG, "app"))).body;
  const app = await ok("containerapp", "update", "-n", "app", "-g", RG, "--image", "busybox:2",
                       "--set-env-vars", "PLAIN=2", "NEW=x", "--remove-env-vars", "TOKEN",
                       "--min-replicas", "2", "--args", "-c", "sleep 5");
  const c = app.properties.template.containers[0];
  assert.equal(c.image, "busybox:2");
  assert.deepEqual(c.env, [{ name: "PLAIN", value: "2" }, { name: "NEW", value: "x" }]);
  assert.deepEqual(c.args, ["-c", "sleep 5"]);
  assert.deepEqual(c.command, ["/bin/sh"], "unchanged");
  assert.equal(app.properties.template.scale.minReplicas, 2);
  assert.equal(app.properties.template.scale.maxReplicas, 3, "unchanged");
  assert.notEqual(app.properties.latestRevisionName, before.properties.latestRevisionName);
  assert.deepEqual(app.identity, before.identity);
  const secrets = await arm("POST", appPath(RG, "app") + "/listSecrets");
  assert.equal(secrets.body.value[0].value, "hunter2-secret");
  const upd = await ok("containerapp", "update", "-n", "app", "-g", RG, "--env-vars", "PLAIN=3");
  assert.deepEqual(upd.properties.template.containers[0].env[0], { name: "PLAIN", value: "3" });
});

test("-o table and -o tsv", async () => {
  let r = await cli(dir, ["identity", "show", "-n", "ida", "-g", RG, "-o", "tsv"]);
  assert.equal(r.code, 0, r.stderr);
  const fields = r.stdout.trim().split("\t");
  assert.equal(r.stdout.trim().split("\n").length, 1);
  assert.ok(fields.includes(ida.clientId) && fields.includes(ida.principalId) && fields.includes("ida"), r.stdout);
  r = await cli(dir, ["identity", "list", "-g", RG, "-o", "tsv"]);
  assert.equal(r.stdout.trim().split("\n").length, 2);
  r = await cli(dir, ["identity", "list", "-g", RG, "-o", "table"]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split("\n");
  assert.match(lines[0], /clientId\s+.*name\s+.*principalId/);
  assert.match(lines[1], /^-+( +-+)+$/);
  assert.equal(lines.length, 4);
  assert.ok(lines.some((l) => l.includes(idb.clientId)));
  r = await cli(dir, ["containerapp", "identity", "show", "-n", "app", "-g", RG, "-o", "tsv"]);
  assert.equal(r.stdout.trim(), "UserAssigned");
  r = await cli(dir, ["group", "exists", "-n", RG, "-o", "tsv"]);
  assert.equal(r.stdout.trim(), "True");
  r = await cli(dir, ["group", "show", "-n", RG, "-o", "table"]);
  assert.match(r.stdout, /location\s+name/);
  assert.match(r.stdout, new RegExp(`${LOC}\\s+${RG}`));
});

test("role definition list; role assignment create/list/delete", async () => {
  const defs = await ok("role", "definition", "list", "--name", "Key Vault Secrets User");
  assert.equal(defs.length, 1);
  assert.equal(defs[0].roleName, "Key Vault Secrets User");
  assert.equal(defs[0].roleType, "BuiltInRole");
  assert.equal(defs[0].name, KV_SECRETS_USER);
  assert.ok((await ok("role", "definition", "list")).length >= 7);
  assert.equal((await ok("role", "definition", "list", "--name", KV_SECRETS_USER))[0].roleName, "Key Vault Secrets User");

  // by client id: resolved to the principal's object id
  const ra = await ok("role", "assignment", "create", "--assignee", ida.clientId,
                      "--role", "Key Vault Secrets User", "--scope", group(RG));
  assert.equal(ra.principalId, ida.principalId);
  assert.equal(ra.principalType, "ServicePrincipal");
  assert.ok(ra.roleDefinitionId.endsWith(KV_SECRETS_USER));
  assert.equal(ra.scope, group(RG));
  assert.equal(ra.resourceGroup, RG);
  assert.match(ra.name, UUID);
  assert.equal((await arm("GET", ra.id)).status, 200);

  let list = await ok("role", "assignment", "list", "-g", RG);
  assert.deepEqual(list.map((x) => x.id), [ra.id]);
  assert.equal(list[0].roleDefinitionName, "Key Vault Secrets User");
  list = await ok("role", "assignment", "list", "--assignee", ida.principalId, "--all");
  assert.deepEqual(list.map((x) => x.id), [ra.id]);
  list = await ok("role", "assignment", "list");
  assert.ok(list.every((x) => x.scope === `/subscriptions/${sub}`), "default: the subscription scope only");
  assert.ok(list.some((x) => x.principalId === ep.admin.objectId && x.roleDefinitionName === "Owner"));
  list = await ok("role", "assignment", "list", "--all");
  assert.ok(list.some((x) => x.id === ra.id));

  await ok("role", "assignment", "delete", "--ids", ra.id);
  assert.equal((await arm("GET", ra.id)).status, 404);

  // by object id and role GUID, deleted by --assignee/--role/--scope
  const rb = await ok("role", "assignment", "create", "--assignee", idb.principalId,
                      "--role", KV_SECRETS_USER, "-g", RG);
  assert.equal(rb.principalId, idb.principalId);
  await ok("role", "assignment", "delete", "--assignee", idb.principalId, "--role", "Key Vault Secrets User", "-g", RG);
  assert.equal((await arm("GET", rb.id)).status, 404);
  let r = await fails(1, "role", "assignment", "delete", "--assignee", idb.principalId, "-g", RG);
  assert.match(r.stderr, /No matched assignments/);
  r = await fails(1, "role", "assignment", "create", "--assignee", ida.principalId, "--role", "Wizard", "-g", RG);
  assert.match(r.stderr, /Role 'Wizard' doesn't exist/);
  r = await fails(1, "role", "assignment", "create", "--assignee", "00000000-0000-4000-8000-000000000000",
                  "--role", "Reader", "-g", RG);
  assert.match(r.stderr, /Cannot find user or service principal/);
});

test("login --service-principal / logout with a second principal", async () => {
  const sp = await ok("ad", "sp", "create-for-rbac", "--name", "cli-reader", "--role", "Reader",
                      "--scopes", `/subscriptions/${sub}`);
  const profile = join(dir, "cli-profile.json");
  // a wrong secret: the token service's error, nothing saved
  let r = await fails(1, "login", "--service-principal", "-u", sp.appId, "-p", "not-the-secret", "--tenant", ep.tenantId);
  assert.match(r.stderr, /invalid_client/);
  assert.ok(!existsSync(profile));
  await fails(2, "login", "-u", sp.appId, "-p", sp.password);          // --service-principal needed

  r = await cli(dir, ["login", "--service-principal", "-u", sp.appId, "-p", sp.password, "--tenant", ep.tenantId]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!r.stdout.includes(sp.password), "secret printed");
  assert.equal(r.json.length, 1);
  assert.equal(r.json[0].id, sub);
  assert.equal(r.json[0].tenantId, ep.tenantId);
  assert.deepEqual(r.json[0].user, { name: sp.appId, type: "servicePrincipal" });
  assert.equal(statSync(profile).mode & 0o777, 0o600);

  // every later command is that principal: a Reader
  assert.equal((await ok("account", "show")).user.name, sp.appId);
  assert.ok((await ok("group", "list")).some((g) => g.name === RG));
  assert.equal((await ok("identity", "show", "-n", "ida", "-g", RG)).clientId, ida.clientId);
  r = await fails(1, "group", "create", "-n", "reader-rg", "-l", LOC);
  assert.match(r.stderr, /\(AuthorizationFailed\)/);
  r = await fails(1, "containerapp", "identity", "assign", "-n", "app", "-g", RG);
  assert.match(r.stderr, /\(AuthorizationFailed\)/);
  assert.equal((await arm("GET", appPath(RG, "app"))).body.identity.type, "UserAssigned", "unchanged");

  await ok("logout");
  assert.ok(!existsSync(profile));
  assert.equal((await ok("account", "show")).user.name, ep.admin.clientId);
  r = await fails(1, "logout");
  assert.match(r.stderr, /no active accounts/);
});

test("containerapp delete and group delete (a long-running operation that cascades)", async () => {
  let r = await fails(1, "containerapp", "delete", "-n", "app2", "-g", RG);  // no tty, no --yes
  assert.match(r.stderr, /--yes/);
  await ok("containerapp", "delete", "-n", "app2", "-g", RG, "--yes");
  await fails(1, "containerapp", "show", "-n", "app2", "-g", RG);
  await ok("identity", "delete", "-n", "idb", "-g", RG);
  assert.equal((await arm("GET", uami(RG, "idb"))).status, 404);

  await ok("group", "delete", "-n", RG, "--yes");
  assert.equal(await ok("group", "exists", "-n", RG), false);
  assert.equal((await arm("GET", uami(RG, "ida"))).status, 404, "the group's identities went with it");
  assert.equal((await arm("GET", appPath(RG, "app"))).status, 404, "and its apps");
  r = await fails(1, "group", "delete", "-n", RG, "--yes");
  assert.match(r.stderr, /ResourceGroupNotFound/);

  await ok("group", "create", "-n", "cli-rg2", "-l", LOC);
  await ok("group", "delete", "-n", "cli-rg2", "--yes", "--no-wait");
  for (let i = 0; i < 50 && (await ok("group", "exists", "-n", "cli-rg2")); i++)
    await new Promise((res) => setTimeout(res, 100));
  assert.equal(await ok("group", "exists", "-n", "cli-rg2"), false);
});
