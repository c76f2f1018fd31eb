// agent_remote.test.mjs -- the node agent as its own process: `mident up
// --no-agent` is the server, `mident node add` gives a node its
// credential, and `mident agent --server URL` runs the apps with its own
// data directory, talking to the server only over the HTTPS node channel.
// Then the server process is really stopped (SIGTERM): the agent keeps
// serving cached tokens, a new resource gets a 5xx, and after the server
// is started again on the same data directory and port, it succeeds.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { startMident, runClient, adminToken, cli, decodeJwt, here, bin, tempDir, freePort } from "./lib/harness.mjs";
import { alive, armRequest, waitForReplicas, rawAsk } from "./lib/agent_lib.mjs";

const RG = "remote-rg";
const LOC = "westeurope";
const VAULT = "https://vault.azure.net";
const STORAGE = "https://storage.azure.com";
const NODE_APP = join(here, "..", "apps", "mi_probe.mjs");

let srv, ep, ca, token, node, agentProc, agentOut = "", agentDir, agentExit;
const pids = new Set();

const arm = (method, path, body) => armRequest({ ep, ca, bearer: token }, method, path, body);
const group = () => `/subscriptions/${ep.subscriptionId}/resourceGroups/${RG}`;
const uami = (n) => `${group()}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${n}`;
const appId = (n) => `${group()}/providers/Microsoft.App/containerApps/${n}`;
const waitReplicas = async (app) => {
  const rs = await waitForReplicas(agentDir, RG, app, 1, { output: () => agentOut });
  rs.forEach((r) => pids.add(r.pid));
  return rs;
};

// A request to the server's node channel with a Basic credential.
function nodeCall(method, path, { user = "n1", secret = node.secret, body } = {}) {
  const data = body === undefined ? undefined : JSON.stringify(body);
  const headers = { authorization: "Basic " + Buffer.from(`${user}:${secret}`).toString("base64") };
  if (data !== undefined) headers["content-type"] = "application/json";
  return new Promise((resolve, reject) => {
    const req = request(ep.arm + path, { method, headers, ca }, (res) => {
      let text = "";
      res.on("data", (d) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode, body: text ? JSON.parse(text) : undefined }));
    });
    req.on("error", reject);
    if (data !== undefined) req.write(data);
    req.end();
  });
}

async function startAgent(port) {
  agentDir = tempDir("mident-node-");
  const secretFile = join(agentDir, "node-secret");
  writeFileSync(secretFile, node.secret + "\n", { mode: 0o600 });
  agentProc = spawn(bin, ["--data", agentDir, "agent", "--server", node.server, "--node", node.node,
                          "--secret-file", secretFile, "--ca", node.caCert,
                          "--agent-listen", `127.0.0.1:${port}`, "--log-level", "info"],
                    { stdio: ["ignore", "pipe", "pipe"] });
  agentProc.stdout.on("data", (d) => (agentOut += d));
  agentProc.stderr.on("data", (d) => (agentOut += d));
  agentExit = new Promise((resolve) => agentProc.on("exit", (code, sig) => resolve({ code, sig })));
  for (let i = 0; i < 200 && !agentOut.includes("mident agent is up"); i++) {
    if (agentProc.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(agentOut.includes("mident agent is up"), agentOut);
}

before(async () => {
  srv = await startMident({ args: ["--no-agent"] });
  ep = srv.endpoints;
  ca = readFileSync(ep.caCert);
  assert.equal(ep.identityEndpoint ?? null, null); // no agent in the server
  token = await adminToken(ep);
  const add = await cli(srv.dataDir, ["node", "add", "--name", "n1"]);
  assert.equal(add.code, 0, add.stderr);
  node = add.json;
  assert.equal(node.node, "n1");
  assert.equal(node.server, ep.arm);
  assert.equal(node.caCert, ep.caCert);
  assert.match(node.secret, /^[A-Za-z0-9_-]{43}$/);
  assert.ok(!readFileSync(join(srv.dataDir, "mident.db")).includes(node.secret), "only a hash is stored");
  assert.ok([200, 201].includes((await arm("PUT", group(), { location: LOC })).status));
  const env = `${group()}/providers/Microsoft.App/managedEnvironments/env1`;
  assert.ok([200, 201].includes((await arm("PUT", env, { location: LOC })).status));
  await startAgent(await freePort());
});

after(async () => {
  if (agentProc && agentProc.exitCode === null) agentProc.kill("SIGTERM");
  if (agentProc) assert.equal((await agentExit).code, 0, agentOut);
  for (const pid of pids) assert.equal(alive(pid), false, `replica ${pid} survived the agent`);
  if (srv) assert.equal((await srv.stop()).code, 0, srv.output());
  assert.ok(!agentOut.includes(node?.secret ?? "\0"), "the agent never logs its secret");
});

test("the node channel refuses a wrong or missing credential and another node's mints", async () => {
  let r = await nodeCall("GET", "/node/v1/feed?since=0", { secret: "x".repeat(43) });
  assert.equal(r.status, 401);
  assert.equal(r.body.error.code, "Unauthorized");
  r = await nodeCall("GET", "/node/v1/feed?since=0", { user: "nobody" });
  assert.equal(r.status, 401);
  r = await nodeCall("POST", "/node/v1/token", { secret: "wrong", body: {} });
  assert.equal(r.status, 401);
  r = await new Promise((resolve, reject) => {
    request(ep.arm + "/node/v1/feed", { ca }, (res) => { res.resume(); resolve({ status: res.statusCode }); })
      .on("error", reject).end();
  });
  assert.equal(r.status, 401);
  // The right credential reads the feed.
  r = await nodeCall("GET", "/node/v1/feed?since=0");
  assert.equal(r.status, 200);
  assert.equal(r.body.reset, true);
  // A node mints only as itself ...
  r = await nodeCall("POST", "/node/v1/token", { body: { node: "n2", appResourceId: appId("x"), objectId: "0", resource: VAULT } });
  assert.equal(r.status, 403);
  assert.match(r.body.error.message, /its own node/);
  // ... and only for an identity assigned to the app right now (the mint-time re-check).
  const u = await arm("PUT", uami("not-assigned"), { location: LOC });
  assert.equal(u.status, 201, u.text);
  r = await nodeCall("POST", "/node/v1/token", { body: { appResourceId: appId("remote-app"), objectId: u.body.properties.principalId, resource: VAULT } });
  assert.equal(r.status, 403);
});

test("an app runs on the remote agent; its token verifies; the server stops and comes back", async () => {
  const body = {
    location: LOC, identity: { type: "SystemAssigned" },
    properties: {
      environmentId: `${group()}/providers/Microsoft.App/managedEnvironments/env1`,
      template: { containers: [{ name: "main", image: "mident/probe:1", command: [process.execPath, NODE_APP] }] },
    },
  };
  const put = await arm("PUT", appId("remote-app"), body);
  assert.ok([200, 201].includes(put.status), put.text);
  const [r] = await waitReplicas("remote-app");
  assert.match(r.start.env.IDENTITY_ENDPOINT, /^http:\/\/localhost:\d+\/MSI\/token$/);

  const first = await rawAsk(r, { resource: VAULT });
  assert.equal(first.status, 200, JSON.stringify(first));
  const v = await runClient(ep, "jose_verify.mjs",
    [`${ep.authority}/${ep.tenantId}/.well-known/openid-configuration`, first.body.access_token, VAULT]);
  assert.equal(v.json?.ok, true, v.stdout + v.stderr);
  assert.equal(v.json.payload.oid, put.body.identity.principalId);
  assert.equal(v.json.payload.xms_mirid, put.body.id);
  // The mint-time re-check ran with the remote node's name, and was audited.
  const audit = await cli(srv.dataDir, ["audit", "list"]);
  const rec = audit.json.find((a) => a.tokenId === v.json.payload.uti);
  assert.ok(rec, audit.stdout);
  assert.equal(rec.node, "n1");
  assert.equal(rec.appResourceId.toLowerCase(), appId("remote-app").toLowerCase());

  // Stop the server process for real.
  const port = new URL(ep.arm).port;
  const stopped = await srv.stop();
  assert.equal(stopped.code, 0, srv.output());
  const cached = await rawAsk(r, { resource: VAULT });
  assert.equal(cached.status, 200, JSON.stringify(cached));
  assert.equal(cached.body.access_token, first.body.access_token);
  const fresh = await rawAsk(r, { resource: STORAGE });
  assert.ok(fresh.status >= 500 && fresh.status < 600, JSON.stringify(fresh));
  assert.equal(fresh.body.statusCode, fresh.status);
  assert.ok(alive(r.pid), "the replica kept running");

  // Start it again on the same data directory and port: the new resource succeeds.
  srv = await startMident({ dataDir: srv.dataDir, args: ["--no-agent"], listen: `127.0.0.1:${port}` });
  const back = await rawAsk(r, { resource: STORAGE });
  assert.equal(back.status, 200, JSON.stringify(back));
  assert.equal(decodeJwt(back.body.access_token).payload.aud, STORAGE);
  // And the feed follows again: deleting the app stops its replica.
  assert.ok([200, 202, 204].includes((await arm("DELETE", appId("remote-app"))).status));
  for (let i = 0; i < 100 && alive(r.pid); i++) await new Promise((res) => setTimeout(res, 100));
  assert.equal(alive(r.pid), false, agentOut);

  // Revoking the node's credential refuses its very next request.
  assert.equal((await nodeCall("GET", "/node/v1/feed?since=0")).status, 200);
  const rm = await cli(srv.dataDir, ["node", "remove", "--name", "n1"]);
  assert.equal(rm.code, 0, rm.stderr);
  assert.equal((await nodeCall("GET", "/node/v1/feed?since=0")).status, 401);
  const again = await cli(srv.dataDir, ["node", "remove", "--name", "n1"]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /no credential/);
});
