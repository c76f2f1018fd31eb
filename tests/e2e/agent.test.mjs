// agent.test.mjs -- the node agent end to end. A real `mident up` runs
// container apps whose processes are real programs using the unmodified
// npm @azure/identity (tests/e2e/apps/mi_probe.mjs) and Debian's Python
// azure.identity (tests/e2e/apps/mi_probe.py); resources are created
// through the ARM REST API with an admin token. Tokens are verified with
// jose against mident's JWKS and compared with the control plane's view.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, writeFileSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { randomUUID, createHash } from "node:crypto";
import { startMident, runClient, adminToken, cli, decodeJwt, here, run, bin } from "./lib/harness.mjs";
import { alive, armRequest, listReplicas, waitForReplicas, ask, rawAsk } from "./lib/agent_lib.mjs";

let srv, ep, token, ca, sub;
const RG = "agent-rg";
const LOC = "westeurope";
const VAULT = "https://vault.azure.net";
const NODE_APP = join(here, "..", "apps", "mi_probe.mjs");
const PY_APP = join(here, "..", "apps", "mi_probe.py");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ids = {}; // short name -> {id, principalId, clientId, tenantId}
const started = new Set(); // pids of replicas seen, checked dead at the end

before(async () => {
  srv = await startMident({ env: { MIDENT_TEST_HOOKS: "1" } });
  ep = srv.endpoints;
  sub = ep.subscriptionId;
  ca = readFileSync(ep.caCert);
  token = await adminToken(ep);
  assert.ok([200, 201].includes((await arm("PUT", group(), { location: LOC })).status));
  assert.ok([200, 201].includes((await arm("PUT", envId(), { location: LOC })).status));
  for (const n of ["u1", "u2", "u3"]) {
    const r = await arm("PUT", uami(n), { location: LOC });
    assert.equal(r.status, 201, r.text);
    ids[n] = { id: r.body.id, ...r.body.properties };
  }
});

after(async () => {
  if (!srv) return;
  const res = await srv.stop();
  assert.equal(res.code, 0, srv.output());
  // Every replica ended with the server (SIGTERM to its process group).
  for (const pid of started) assert.equal(alive(pid), false, `replica pid ${pid} survived`);
});

const arm = (method, path, body, { bearer = token } = {}) =>
  armRequest({ ep, ca, bearer }, method, path, body);

const group = () => `/subscriptions/${sub}/resourceGroups/${RG}`;
const uami = (n) => `${group()}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-${n}`;
const envId = () => `${group()}/providers/Microsoft.App/managedEnvironments/env1`;
const appId = (n) => `${group()}/providers/Microsoft.App/containerApps/${n}`;

function identityBlock(system, uas) {
  const type = [system && "SystemAssigned", uas.length && "UserAssigned"].filter(Boolean).join(",") || "None";
  const b = { type };
  if (uas.length) b.userAssignedIdentities = Object.fromEntries(uas.map((u) => [ids[u].id, {}]));
  return b;
}

// A container app running `command` (default: the Node probe).
async function mkApp(name, { system = false, uas = [], command, env = [], minReplicas, secrets = [] } = {}) {
  const body = {
    location: LOC,
    identity: identityBlock(system, uas),
    properties: {
      environmentId: envId(),
      configuration: { secrets },
      template: {
        containers: [{ name: "main", image: "mident/probe:1", command: command || [process.execPath, NODE_APP], env }],
        ...(minReplicas ? { scale: { minReplicas, maxReplicas: 10 } } : {}),
      },
    },
  };
  const r = await arm("PUT", appId(name), body);
  assert.ok([200, 201].includes(r.status), r.text);
  return r.body;
}

const replicas = (app) => listReplicas(srv.dataDir, RG, app);

async function waitReplicas(app, n = 1, { timeoutMs = 15000, not = [] } = {}) {
  const rs = await waitForReplicas(srv.dataDir, RG, app, n, { timeoutMs, not, output: srv.output });
  rs.forEach((r) => started.add(r.pid));
  return rs;
}

const raw = rawAsk;

const discovery = () => `${ep.authority}/${ep.tenantId}/.well-known/openid-configuration`;

// Verifies a token with jose against mident's JWKS; returns its claims.
async function verified(tok, aud) {
  const v = await runClient(ep, "jose_verify.mjs", [discovery(), tok, aud]);
  assert.equal(v.json?.ok, true, v.stdout + v.stderr);
  return v.json.payload;
}

// The control plane's view of an identity, through ARM.
async function view(which, app) {
  if (which === "system") {
    const a = await arm("GET", appId(app));
    const d = await arm("GET", `${appId(app)}/providers/Microsoft.ManagedIdentity/identities/default`);
    assert.equal(d.status, 200, d.text);
    return { id: a.body.id, principalId: a.body.identity.principalId, tenantId: a.body.identity.tenantId,
             clientId: d.body.properties.clientId };
  }
  const r = await arm("GET", uami(which));
  return { id: r.body.id, ...r.body.properties };
}

function assertClaims(claims, v, aud, what = "") {
  assert.equal(claims.oid, v.principalId, what);
  assert.equal(claims.sub, v.principalId);
  assert.equal(claims.appid, v.clientId);
  assert.equal(claims.tid, v.tenantId);
  assert.equal(claims.tid, ep.tenantId);
  assert.equal(claims.aud, aud);
  assert.equal(claims.xms_mirid, v.id);
  assert.equal(claims.idtyp, "app");
}

test("the endpoint serves before any replica, on loopback, and answers errors in App Service's shape", async () => {
  assert.match(ep.identityEndpoint, /^http:\/\/localhost:\d+\/MSI\/token$/);
  const url = ep.identityEndpoint.replace("localhost", "127.0.0.1");
  const get = async (u, headers = {}, method = "GET") => {
    const r = await fetch(u, { method, headers });
    return { status: r.status, body: await r.json() };
  };
  const shape = (b) => {
    assert.equal(typeof b.statusCode, "number");
    assert.equal(typeof b.message, "string");
    assert.match(b.correlationId, /^[0-9a-f-]{36}$/);
  };
  let r = await get(`${url}?api-version=2019-08-01&resource=${VAULT}`);
  assert.equal(r.status, 401); shape(r.body); assert.equal(r.body.statusCode, 401);
  r = await get(`${url}?api-version=2019-08-01&resource=${VAULT}`, { "X-IDENTITY-HEADER": "x".repeat(43) });
  assert.equal(r.status, 401); shape(r.body);
  r = await get(`${url}?resource=${VAULT}`, { "X-IDENTITY-HEADER": "x" });
  assert.equal(r.status, 400); shape(r.body);
  r = await get(`${url}?api-version=2019-08-01&resource=${VAULT}`, {}, "POST");
  assert.equal(r.status, 405); shape(r.body);
  r = await get(url.replace("/MSI/token", "/other"));
  assert.equal(r.status, 400); shape(r.body); // never 404: the SDKs retry it
  r = await get(`${url}?api-version=2019-08-01&resource=${VAULT}`, { "X-Forwarded-For": "10.0.0.1" });
  assert.equal(r.status, 403); shape(r.body);
});

test("Node @azure/identity in a replica: system-assigned and user-assigned by clientId, objectId, resourceId; DefaultAzureCredential", async () => {
  await mkApp("node-app", { system: true, uas: ["u1", "u2"],
    env: [{ name: "AZURE_TOKEN_CREDENTIALS", value: "ManagedIdentityCredential" },
          { name: "APP_SETTING", value: "plain" }, { name: "APP_PASSWORD", secretRef: "pw" }],
    secrets: [{ name: "pw", value: "hunter2" }] });
  const [r] = await waitReplicas("node-app");
  // The environment the agent gave the replica.
  const env = r.start.env;
  assert.equal(env.IDENTITY_ENDPOINT, ep.identityEndpoint);
  assert.equal(env.MSI_ENDPOINT, ep.identityEndpoint);
  assert.ok(env.headerLength >= 22, "IDENTITY_HEADER has at least 128 bits");
  assert.equal(env.msiSecretSame, true);
  for (const n of ["AZURE_FEDERATED_TOKEN_FILE", "IMDS_ENDPOINT", "IDENTITY_SERVER_THUMBPRINT",
                   "NODE_EXTRA_CA_CERTS", "MIDENT_TEST_HOOKS"])
    assert.ok(!env.names.includes(n), `${n} must not be set`);
  assert.equal(env.APP_SETTING, "plain");
  assert.equal(env.APP_PASSWORD_HASH, createHash("sha256").update("hunter2").digest("hex").slice(0, 16));
  assert.equal(r.meta.image, "mident/probe:1");

  const cases = [
    ["system", { kind: "mic" }],
    ["u1", { kind: "mic", id: { clientId: ids.u1.clientId } }],
    ["u2", { kind: "mic", id: { objectId: ids.u2.principalId } }],
    ["u1", { kind: "mic", id: { resourceId: ids.u1.id } }],
    ["system", { kind: "dac" }],
  ];
  for (const [which, req] of cases) {
    const res = await ask(r, { ...req, scope: `${VAULT}/.default` });
    assert.equal(res.ok, true, `${which} ${JSON.stringify(req)}: ${res.message}`);
    assertClaims(await verified(res.token, VAULT), await view(which, "node-app"), VAULT,
                 `${which} ${JSON.stringify(req)}`);
    assert.ok(res.expiresOnTimestamp > Date.now() + 3600e3);
  }
  // DefaultAzureCredential picks a user-assigned identity from AZURE_CLIENT_ID
  // in the app's environment (with AZURE_TOKEN_CREDENTIALS set it ignores the
  // managedIdentityClientId option: an SDK behaviour, not mident's).
  await mkApp("node-dac-app", { uas: ["u1", "u2"],
    env: [{ name: "AZURE_TOKEN_CREDENTIALS", value: "ManagedIdentityCredential" },
          { name: "AZURE_CLIENT_ID", value: ids.u2.clientId }] });
  const [d] = await waitReplicas("node-dac-app");
  const dac = await ask(d, { kind: "dac", scope: `${VAULT}/.default` });
  assert.equal(dac.ok, true, dac.message);
  assertClaims(await verified(dac.token, VAULT), await view("u2"), VAULT, "dac AZURE_CLIENT_ID");
  // The resource is used as aud exactly (here with a trailing slash).
  const arm2 = await ask(r, { kind: "mic", scope: "https://management.azure.com//.default" });
  assert.equal(arm2.ok, true, arm2.message);
  assert.equal(decodeJwt(arm2.token).payload.aud, "https://management.azure.com/");

  // Every issuance is audited with the app, the replica and the node.
  const audit = await cli(srv.dataDir, ["audit", "list", "--top", "1000"]);
  const mine = JSON.parse(audit.stdout).filter((e) => e.grant === "managed_identity" &&
    e.appResourceId === appId("node-app"));
  assert.ok(mine.length >= 4, audit.stdout);
  for (const e of mine) { assert.equal(e.replica, r.name); assert.ok(e.node); }
  assert.ok(mine.some((e) => e.objectId === ids.u2.principalId && e.identityResourceId === ids.u2.id));
});

test("Python azure.identity (Debian python3-azure, /usr/bin/python3) in a replica", async () => {
  await mkApp("py-app", { system: true, uas: ["u1", "u3"], command: ["/usr/bin/python3", PY_APP] });
  const [r] = await waitReplicas("py-app");
  assert.equal(r.start.env.IDENTITY_ENDPOINT, ep.identityEndpoint);
  const cases = [
    ["system", { kind: "mic" }],
    ["u1", { kind: "mic", id: { clientId: ids.u1.clientId } }],
    ["u3", { kind: "mic", id: { objectId: ids.u3.principalId } }],
    ["u3", { kind: "mic", id: { resourceId: ids.u3.id } }],
    ["system", { kind: "dac" }],
    ["u1", { kind: "dac", clientId: ids.u1.clientId }],
  ];
  for (const [which, req] of cases) {
    const res = await ask(r, { ...req, scope: `${VAULT}/.default` });
    assert.equal(res.ok, true, `${which} ${JSON.stringify(req)}: ${res.message}`);
    assertClaims(await verified(res.token, VAULT), await view(which, "py-app"), VAULT,
                 `${which} ${JSON.stringify(req)}`);
  }
  // An identity the app does not have is refused (400, not retried).
  const no = await ask(r, { kind: "mic", id: { clientId: ids.u2.clientId }, scope: `${VAULT}/.default` });
  assert.equal(no.ok, false);
  assert.match(no.message, /Unable to load the proper Managed Identity/);
});

test("isolation: secrets, other apps' identities, proxies, malformed requests", async () => {
  await mkApp("iso-a", { uas: ["u1"] });
  await mkApp("iso-b", { system: true, uas: ["u3"] });
  const [a] = await waitReplicas("iso-a");
  const [b] = await waitReplicas("iso-b");
  assert.notEqual(a.start.env.headerHash, b.start.env.headerHash);
  const bSys = (await view("system", "iso-b")).principalId;
  const unable = (res) => {
    assert.equal(res.status, 400, JSON.stringify(res));
    assert.equal(res.body.message, "Unable to load the proper Managed Identity.");
    assert.equal(res.body.statusCode, 400);
  };
  // A's secret cannot reach B's identities, by any selector.
  unable(await raw(a, { resource: VAULT, client_id: ids.u3.clientId }));
  unable(await raw(a, { resource: VAULT, object_id: ids.u3.principalId }));
  unable(await raw(a, { resource: VAULT, principal_id: bSys }));
  unable(await raw(a, { resource: VAULT, mi_res_id: ids.u3.id }));
  unable(await raw(a, { resource: VAULT })); // A has no system identity
  // ... nor through the SDK.
  const sdk = await ask(a, { kind: "mic", id: { clientId: ids.u3.clientId }, scope: `${VAULT}/.default` });
  assert.equal(sdk.ok, false);
  assert.match(sdk.message, /Unable to load the proper Managed Identity/);
  // B gets its own.
  const okB = await raw(b, { resource: VAULT, client_id: ids.u3.clientId });
  assert.equal(okB.status, 200);
  assert.equal(decodeJwt(okB.body.access_token).payload.oid, ids.u3.principalId);
  // Secrets: wrong, missing, or sent in the other dialect's header.
  for (const headers of [{ "X-IDENTITY-HEADER": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }, {},
                         { secret: "$SECRET" }]) {
    const res = await raw(a, { resource: VAULT, client_id: ids.u1.clientId }, headers);
    assert.equal(res.status, 401, JSON.stringify(res));
    assert.equal(res.body.statusCode, 401);
  }
  // Proxied requests are refused even with the right secret.
  for (const h of [{ "X-Forwarded-For": "127.0.0.1" }, { Forwarded: "for=127.0.0.1" }]) {
    const res = await raw(a, { resource: VAULT, client_id: ids.u1.clientId }, { "X-IDENTITY-HEADER": "$SECRET", ...h });
    assert.equal(res.status, 403, JSON.stringify(res));
  }
  // Malformed: two selectors, unknown or repeated parameter, no resource, bad api-version.
  for (const q of [{ resource: VAULT, client_id: ids.u1.clientId, object_id: ids.u1.principalId },
                   { resource: VAULT, bogus: "1" }, { client_id: ids.u1.clientId },
                   { resource: VAULT, "api-version": "2099-01-01" }]) {
    const res = await raw(a, q);
    assert.equal(res.status, 400, JSON.stringify([q, res]));
    assert.equal(typeof res.body.correlationId, "string");
  }
  // Path case and trailing slash; the 2017-09-01 dialect (secret + clientid).
  const slash = await raw(a, { resource: VAULT, client_id: ids.u1.clientId }, undefined, { path: "/msi/TOKEN/" });
  assert.equal(slash.status, 200);
  const old = await ask(a, { kind: "raw", query: { "api-version": "2017-09-01", resource: VAULT, clientid: ids.u1.clientId },
                             headers: { secret: "$SECRET" } });
  assert.equal(old.status, 200, JSON.stringify(old));
  assert.match(old.body.expires_on, /^\d+$/);
  assert.equal(old.body.client_id, ids.u1.clientId);
  assert.equal(old.body.token_type, "Bearer");
  assert.equal(old.body.resource, VAULT);
  assert.match(old.body.not_before, /^\d+$/);
  const oldWrongHeader = await ask(a, { kind: "raw", query: { "api-version": "2017-09-01", resource: VAULT },
                                        headers: { "X-IDENTITY-HEADER": "$SECRET" } });
  assert.equal(oldWrongHeader.status, 401);
});

test("live change: an assigned identity is served within 1 s without restart; a removed one is refused at once", async () => {
  await mkApp("live-app", { uas: ["u1"] });
  const [r] = await waitReplicas("live-app");
  const before = await raw(r, { resource: VAULT, client_id: ids.u2.clientId });
  assert.equal(before.status, 400);
  // warm the cache for u1 and u2-to-be
  assert.equal((await raw(r, { resource: VAULT, client_id: ids.u1.clientId })).status, 200);

  const cur = (await arm("GET", appId("live-app"))).body;
  cur.identity = identityBlock(false, ["u1", "u2"]);
  const put = await arm("PUT", appId("live-app"), cur);
  assert.equal(put.status, 200, put.text);
  const t0 = Date.now();
  let got;
  while (Date.now() - t0 < 1000) {
    got = await ask(r, { kind: "mic", id: { clientId: ids.u2.clientId }, scope: `${VAULT}/.default` });
    if (got.ok) break;
  }
  const elapsed = Date.now() - t0;
  assert.equal(got.ok, true, got.message);
  assert.ok(elapsed < 1000, `served after ${elapsed} ms`);
  assert.equal(decodeJwt(got.token).payload.oid, ids.u2.principalId);
  const [same] = replicas("live-app");
  assert.equal(same.pid, r.pid, "the replica was not restarted");
  assert.equal(same.starts.length, 1);
  // A second (cached) answer for u2 via raw, then remove u2.
  assert.equal((await raw(r, { resource: VAULT, client_id: ids.u2.clientId })).status, 200);
  cur.identity = identityBlock(false, ["u1"]);
  assert.equal((await arm("PUT", appId("live-app"), cur)).status, 200);
  const after = await raw(r, { resource: VAULT, client_id: ids.u2.clientId });
  assert.equal(after.status, 400, JSON.stringify(after));
  assert.equal(after.body.message, "Unable to load the proper Managed Identity.");
  // u1 is untouched, the process too.
  assert.equal((await raw(r, { resource: VAULT, client_id: ids.u1.clientId })).status, 200);
  assert.equal(replicas("live-app")[0].pid, r.pid);
  // Re-assigning serves u2 again (a fresh token: the old one was dropped).
  cur.identity = identityBlock(false, ["u1", "u2"]);
  assert.equal((await arm("PUT", appId("live-app"), cur)).status, 200);
  const again = await raw(r, { resource: VAULT, client_id: ids.u2.clientId });
  assert.equal(again.status, 200);
  // Deleting the identity itself: no further tokens.
  const tmp = await arm("PUT", uami("u-temp"), { location: LOC });
  ids["u-temp"] = { id: tmp.body.id, ...tmp.body.properties };
  cur.identity = identityBlock(false, ["u1", "u-temp"]);
  assert.equal((await arm("PUT", appId("live-app"), cur)).status, 200);
  assert.equal((await raw(r, { resource: VAULT, client_id: ids["u-temp"].clientId })).status, 200);
  assert.ok([200, 202, 204].includes((await arm("DELETE", uami("u-temp"))).status));
  const gone = await raw(r, { resource: VAULT, client_id: ids["u-temp"].clientId });
  assert.equal(gone.status, 400, JSON.stringify(gone));
});

test("token service unreachable: cached tokens still served, a new resource gets a 5xx, then recovery", async () => {
  await mkApp("down-app", { system: true });
  const [r] = await waitReplicas("down-app");
  const first = await raw(r, { resource: VAULT });
  assert.equal(first.status, 200);
  const hooks = join(srv.dataDir, "test-hooks");
  mkdirSync(hooks, { recursive: true });
  writeFileSync(join(hooks, "sts-down"), "");
  try {
    const cached = await raw(r, { resource: VAULT });
    assert.equal(cached.status, 200);
    assert.equal(cached.body.access_token, first.body.access_token);
    const fresh = await raw(r, { resource: "https://storage.azure.com" });
    assert.ok(fresh.status >= 500 && fresh.status < 600, JSON.stringify(fresh));
    assert.equal(fresh.body.statusCode, fresh.status);
    // The SDK sees a failure too (after its own retries of the 5xx).
    const sdk = await ask(r, { kind: "mic", scope: "https://storage.azure.com/.default" });
    assert.equal(sdk.ok, false);
  } finally {
    rmSync(join(hooks, "sts-down"));
  }
  const back = await raw(r, { resource: "https://storage.azure.com" });
  assert.equal(back.status, 200);
  assert.equal(decodeJwt(back.body.access_token).payload.aud, "https://storage.azure.com");
});

test("supervision: restart with backoff and a new secret per start, minReplicas, stop/start, template change, delete", async () => {
  // A process that exits at once is restarted with growing delays.
  const script = "const h=require('crypto').createHash('sha256').update(process.env.IDENTITY_HEADER).digest('hex').slice(0,16);" +
                 "console.log(JSON.stringify({event:'crash',pid:process.pid,h}));process.exit(3)";
  await mkApp("crash-app", { system: true, command: [process.execPath, "-e", script] });
  await sleep(4500);
  const dir = join(srv.dataDir, "replicas", RG, "crash-app");
  const [rep] = readdirSync(dir);
  const runs = readFileSync(join(dir, rep, "stdout.log"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  // starts at about 0, 1, 3 (then 7) s: 3 in 4.5 s, never a tight loop
  assert.ok(runs.length >= 2 && runs.length <= 4, `${runs.length} starts`);
  assert.equal(new Set(runs.map((x) => x.h)).size, runs.length, "a new IDENTITY_HEADER at every start");
  assert.equal(JSON.parse(readFileSync(join(dir, rep, "replica.json"), "utf8")).restarts, runs.length - 1);
  assert.ok([200, 202, 204].includes((await arm("DELETE", appId("crash-app"))).status));

  // minReplicas
  await mkApp("two-app", { uas: ["u1"], minReplicas: 2 });
  const two = await waitReplicas("two-app", 2);
  assert.notEqual(two[0].start.env.headerHash, two[1].start.env.headerHash);
  for (const r of two) assert.equal((await raw(r, { resource: VAULT, client_id: ids.u1.clientId })).status, 200);

  // stop -> processes end and no more tokens; start -> a new replica with a new secret
  assert.equal((await arm("POST", `${appId("two-app")}/stop`)).status, 200);
  await waitGone(two.map((r) => r.pid));
  assert.equal((await arm("POST", `${appId("two-app")}/start`)).status, 200);
  const again = await waitReplicas("two-app", 2, { not: two.map((r) => r.pid) });
  assert.ok(!two.some((r) => again.some((x) => x.start.env.headerHash === r.start.env.headerHash)));

  // a template change restarts (new revision); the old processes end
  const cur = (await arm("GET", appId("two-app"))).body;
  cur.properties.template.containers[0].env = [{ name: "APP_SETTING", value: "v2" }];
  assert.equal((await arm("PUT", appId("two-app"), cur)).status, 200);
  const v2 = await waitReplicas("two-app", 2, { not: again.map((r) => r.pid) });
  assert.ok(v2.every((r) => r.start.env.APP_SETTING === "v2"));
  await waitGone(again.map((r) => r.pid));

  // delete -> the processes end
  assert.ok([200, 202, 204].includes((await arm("DELETE", appId("two-app"))).status));
  await waitGone(v2.map((r) => r.pid));
});

async function waitGone(pids, timeoutMs = 8000) {
  const until = Date.now() + timeoutMs;
  while (pids.some(alive)) {
    if (Date.now() > until) throw new Error(`still running: ${pids.filter(alive)}`);
    await sleep(50);
  }
}

test("mident containerapp logs show [--follow] reads the replicas' logs", async () => {
  await mkApp("log-app", { system: true });
  const [r] = await waitReplicas("log-app");
  const show = await cli(srv.dataDir, ["containerapp", "logs", "show", "-n", "log-app", "-g", RG]);
  assert.equal(show.code, 0, show.stderr);
  assert.ok(show.stdout.includes(`"pid":${r.pid}`), show.stdout);
  assert.ok(show.stdout.includes(`replica ${r.name} started`), show.stdout);
  const out = await cli(srv.dataDir, ["containerapp", "logs", "show", "-n", "LOG-APP", "-g", RG, "--type", "stdout", "--tail", "1"]);
  assert.equal(out.stdout.trim().split("\n").length, 1);
  const missing = await cli(srv.dataDir, ["containerapp", "logs", "show", "-n", "nope", "-g", RG]);
  assert.equal(missing.code, 1);
  // --follow prints what a replica writes later (a new replica after a template change)
  const { spawn } = await import("node:child_process");
  const f = spawn(bin, ["--data", srv.dataDir, "containerapp", "logs", "show", "-n", "log-app", "-g", RG, "--follow"]);
  let text = "";
  f.stdout.on("data", (d) => (text += d));
  await sleep(300);
  const cur = (await arm("GET", appId("log-app"))).body;
  cur.properties.template.containers[0].env = [{ name: "APP_SETTING", value: "followed" }];
  assert.equal((await arm("PUT", appId("log-app"), cur)).status, 200);
  const [r2] = await waitReplicas("log-app", 1, { not: [r.pid] });
  const until = Date.now() + 5000;
  while (!text.includes(`"pid":${r2.pid}`) && Date.now() < until) await sleep(50);
  f.kill("SIGINT");
  assert.ok(text.includes(`"pid":${r2.pid}`), text);
});
