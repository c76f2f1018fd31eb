// sts.test.mjs -- the token service end to end: a real `mident up` over
// HTTPS with its generated CA, checked by independent clients (jose, the
// unmodified @azure/identity) and by raw requests for the wire shapes.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { statSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startMident, runClient, cli, decodeJwt, adminToken, run, freePort } from "./lib/harness.mjs";

let srv, ep;
before(async () => { srv = await startMident(); ep = srv.endpoints; });
after(async () => { if (srv) await srv.stop(); });

const discovery = (v2 = true) =>
  `${ep.authority}/${ep.tenantId}${v2 ? "/v2.0" : ""}/.well-known/openid-configuration`;
const post = (url, body, ctype = "application/x-www-form-urlencoded") =>
  runClient(ep, "http.mjs", ["POST", url, body, ctype]);

test("endpoints.json is complete and private; TLS keys are 0600", () => {
  for (const k of ["arm", "authority", "tenantId", "subscriptionId", "caCert", "issuer"])
    assert.ok(ep[k], `endpoints.json lacks ${k}`);
  assert.ok("identityEndpoint" in ep);
  assert.match(ep.admin.clientId, /^[0-9a-f-]{36}$/);
  assert.ok(ep.admin.clientSecret.length >= 43, "admin secret carries >= 256 bits");
  assert.equal(statSync(srv.epPath).mode & 0o777, 0o600);
  assert.equal(statSync(join(srv.dataDir, "tls", "ca.key")).mode & 0o777, 0o600);
  assert.equal(statSync(join(srv.dataDir, "tls", "server.key")).mode & 0o777, 0o600);
  assert.ok(readFileSync(ep.caCert, "utf8").includes("BEGIN CERTIFICATE"));
});

test("a v1 token verifies with jose against the served discovery and JWKS", async () => {
  const r = await runClient(ep, "oauth_token.mjs",
    [ep.authority, ep.tenantId, ep.admin.clientId, ep.admin.clientSecret,
     "https://management.azure.com/", "v1"]);
  assert.equal(r.json.status, 200, r.stdout);
  const b = r.json.body;
  assert.equal(b.token_type, "Bearer");
  for (const k of ["expires_in", "expires_on", "not_before"]) assert.match(b[k], /^\d+$/);
  assert.equal(b.resource, "https://management.azure.com/");
  const v = await runClient(ep, "jose_verify.mjs", [discovery(false), b.access_token,
                                                     "https://management.azure.com/"]);
  assert.equal(v.json.ok, true, v.stdout);
  const p = v.json.payload, h = v.json.header;
  assert.equal(v.json.issuer, ep.issuer);
  assert.equal(p.iss, ep.issuer);
  assert.equal(p.aud, "https://management.azure.com/");
  assert.equal(p.tid, ep.tenantId);
  assert.equal(p.oid, ep.admin.objectId);
  assert.equal(p.sub, ep.admin.objectId);
  assert.equal(p.appid, ep.admin.clientId);
  assert.equal(p.appidacr, "1");
  assert.equal(p.idtyp, "app");
  assert.equal(p.ver, "1.0");
  assert.equal(p.idp, ep.issuer);
  assert.equal(p.exp - p.iat, 86400, "default lifetime is 24 h");
  assert.ok(p.nbf <= p.iat && p.uti && p.jti === p.uti);
  assert.equal(h.alg, "RS256"); assert.equal(h.typ, "JWT");
  assert.equal(h.kid, h.x5t);
  assert.equal(String(p.exp), b.expires_on);
});

test("a v2 token has v2 claims and the v2 issuer of the discovery document", async () => {
  const r = await runClient(ep, "oauth_token.mjs",
    [ep.authority, ep.tenantId, ep.admin.clientId, ep.admin.clientSecret,
     "https://vault.azure.net", "v2"]);
  assert.equal(r.json.status, 200, r.stdout);
  assert.equal(typeof r.json.body.expires_in, "number");
  const v = await runClient(ep, "jose_verify.mjs", [discovery(true), r.json.body.access_token,
                                                     "https://vault.azure.net"]);
  assert.equal(v.json.ok, true, v.stdout);
  assert.equal(v.json.payload.ver, "2.0");
  assert.equal(v.json.payload.azp, ep.admin.clientId);
  assert.equal(v.json.payload.iss, `${ep.authority}/${ep.tenantId}/v2.0`);
  assert.equal(v.json.payload.appid, undefined);
});

test("every token carries a unique uti", async () => {
  const a = decodeJwt(await adminToken(ep)).payload.uti;
  const b = decodeJwt(await adminToken(ep)).payload.uti;
  assert.notEqual(a, b);
});

test("jose refuses a token with the wrong audience and a tampered payload", async () => {
  const tok = await adminToken(ep);
  let v = await runClient(ep, "jose_verify.mjs", [discovery(false), tok, "https://vault.azure.net"]);
  assert.equal(v.json.ok, false);
  assert.equal(v.json.code, "ERR_JWT_CLAIM_VALIDATION_FAILED");
  const [h, p, s] = tok.split(".");
  const claims = JSON.parse(Buffer.from(p, "base64url"));
  claims.oid = "00000000-0000-0000-0000-000000000000";
  const forged = [h, Buffer.from(JSON.stringify(claims)).toString("base64url"), s].join(".");
  v = await runClient(ep, "jose_verify.mjs", [discovery(false), forged, "https://management.azure.com/"]);
  assert.equal(v.json.ok, false);
  assert.equal(v.json.code, "ERR_JWS_SIGNATURE_VERIFICATION_FAILED");
});

test("unmodified @azure/identity ClientSecretCredential gets a management token", async () => {
  const r = await runClient(ep, "identity_secret.mjs",
    [ep.authority, ep.tenantId, ep.admin.clientId, ep.admin.clientSecret,
     "https://management.azure.com/.default"]);
  assert.equal(r.json?.ok, true, r.stdout + r.stderr);
  const { payload } = decodeJwt(r.json.token);
  assert.equal(payload.aud, "https://management.azure.com");
  assert.equal(payload.oid, ep.admin.objectId);
  assert.ok(r.json.expiresOnTimestamp > Date.now() + 3600e3);
  const v = await runClient(ep, "jose_verify.mjs", [discovery(true), r.json.token,
                                                     "https://management.azure.com"]);
  assert.equal(v.json.ok, true, v.stdout);
});

test("@azure/identity with a wrong secret fails with invalid_client", async () => {
  const r = await runClient(ep, "identity_secret.mjs",
    [ep.authority, ep.tenantId, ep.admin.clientId, "not-the-secret",
     "https://management.azure.com/.default"]);
  assert.equal(r.json?.ok, false, r.stdout);
  assert.match(r.json.message, /AADSTS7000215|invalid_client/);
});

test("bad token requests get Azure AD's OAuth2 error shape", async () => {
  const url = `${ep.authority}/${ep.tenantId}/oauth2/v2.0/token`;
  const good = `client_id=${ep.admin.clientId}&client_secret=${encodeURIComponent(ep.admin.clientSecret)}`;
  const cases = [
    [url, "grant_type=password&" + good + "&scope=x%2F.default", 400, "unsupported_grant_type"],
    [url, good + "&scope=x%2F.default", 400, "invalid_request"],              // no grant_type
    [url, "grant_type=client_credentials&" + good, 400, "invalid_request"],   // no scope
    [url, "grant_type=client_credentials&" + good + "&scope=openid", 400, "invalid_scope"],
    [url, "grant_type=client_credentials&" + good + "&scope=a%2F.default+b%2F.default", 400, "invalid_scope"],
    [url, "grant_type=client_credentials&grant_type=client_credentials&" + good, 400, "invalid_request"],
    [url, "grant_type=client_credentials&client_id=%zz&scope=x", 400, "invalid_request"],
    [url, `grant_type=client_credentials&client_id=${ep.admin.clientId}&client_secret=wrong&scope=x%2F.default`, 401, "invalid_client"],
    [url, `grant_type=client_credentials&client_id=00000000-0000-4000-8000-000000000000&client_secret=x&scope=x%2F.default`, 401, "invalid_client"],
    [`${ep.authority}/11111111-1111-1111-1111-111111111111/oauth2/v2.0/token`,
     "grant_type=client_credentials&" + good + "&scope=x%2F.default", 400, "invalid_tenant"],
    [url, "grant_type=client_credentials&" + good + "&scope=x%2F.default&pad=" + "a".repeat(70000), 413, "invalid_request"],
  ];
  for (const [u, body, status, error] of cases) {
    const r = await post(u, body);
    assert.equal(r.json.status, status, `${body.slice(0, 80)} -> ${r.stdout.slice(0, 300)}`);
    assert.equal(r.json.body.error, error, body.slice(0, 80));
    assert.match(r.json.body.error_description, /^AADSTS\d+: /);
    assert.ok(Array.isArray(r.json.body.error_codes));
    assert.ok(r.json.body.trace_id && r.json.body.correlation_id && r.json.body.timestamp);
  }
  const j = await post(url, JSON.stringify({ grant_type: "client_credentials" }), "application/json");
  assert.equal(j.json.status, 400);
  assert.equal(j.json.body.error, "invalid_request");
  const g = await runClient(ep, "http.mjs", ["GET", url]);
  assert.equal(g.json.status, 405);
  assert.equal(g.json.body.error, "invalid_request");
});

test("failed token requests issue nothing: the audit log only grows on success", async () => {
  const before = await cli(srv.dataDir, ["audit", "list"]);
  assert.equal(before.code, 0, before.stderr);
  const n0 = before.json.length;
  await post(`${ep.authority}/${ep.tenantId}/oauth2/token`,
             `grant_type=client_credentials&client_id=${ep.admin.clientId}&client_secret=bad&resource=x`);
  const mid = await cli(srv.dataDir, ["audit", "list"]);
  assert.equal(mid.json.length, n0);
  const tok = decodeJwt(await adminToken(ep, "https://audit.example/")).payload;
  const after = await cli(srv.dataDir, ["audit", "list"]);
  assert.equal(after.json.length, n0 + 1);
  const rec = after.json[after.json.length - 1];
  assert.equal(rec.tokenId, tok.uti);
  assert.equal(rec.objectId, ep.admin.objectId);
  assert.equal(rec.audience, "https://audit.example/");
  assert.equal(rec.grant, "client_credentials");
});

test("the ADFS-style authority serves discovery and tokens (azure-cli's offline login)", async () => {
  const d = await runClient(ep, "http.mjs", ["GET", `${ep.authority}/adfs/.well-known/openid-configuration`]);
  assert.equal(d.json.status, 200);
  assert.equal(d.json.body.issuer, `${ep.authority}/adfs`);
  assert.ok(d.json.body.authorization_endpoint && d.json.body.token_endpoint);
  // azure-cli asks for "https://management.core.windows.net//.default"
  const body = new URLSearchParams({ client_id: ep.admin.clientId, grant_type: "client_credentials",
    client_info: "1", client_secret: ep.admin.clientSecret,
    scope: "https://management.core.windows.net//.default" }).toString();
  const r = await post(d.json.body.token_endpoint, body);
  assert.equal(r.json.status, 200, r.stdout);
  assert.equal(r.json.body.token_type, "Bearer");
  assert.equal(typeof r.json.body.expires_in, "number");
  const p = decodeJwt(r.json.body.access_token).payload;
  assert.equal(p.aud, "https://management.core.windows.net/");
  assert.equal(p.iss, `${ep.authority}/adfs`);
  const v = await runClient(ep, "jose_verify.mjs", [`${ep.authority}/adfs/.well-known/openid-configuration`,
    r.json.body.access_token, "https://management.core.windows.net/"]);
  assert.equal(v.json.ok, true, v.stdout);
});

test("cloud metadata answers, also for a '//' request line", async () => {
  for (const path of ["/metadata/endpoints", "//metadata/endpoints"]) {
    const r = await run("curl", ["-s", "--cacert", ep.caCert, "--path-as-is",
                                 `${ep.arm}${path}?api-version=2015-01-01`]);
    const m = JSON.parse(r.stdout);
    assert.equal(m.authentication.loginEndpoint, `${ep.authority}/adfs`);
    assert.ok(m.authentication.audiences.includes("https://management.core.windows.net/"));
  }
});

test("discovery for unknown tenants is refused; common serves a template issuer", async () => {
  const bad = await runClient(ep, "http.mjs", ["GET",
    `${ep.authority}/22222222-2222-2222-2222-222222222222/v2.0/.well-known/openid-configuration`]);
  assert.equal(bad.json.status, 400);
  assert.equal(bad.json.body.error, "invalid_tenant");
  const c = await runClient(ep, "http.mjs", ["GET", `${ep.authority}/common/discovery/keys`]);
  assert.equal(c.json.status, 200);
  assert.ok(c.json.body.keys.length >= 1);
  for (const k of c.json.body.keys) {
    assert.equal(k.kty, "RSA"); assert.equal(k.use, "sig"); assert.equal(k.kid, k.x5t);
    assert.ok(k.n && k.e && k.x5c.length === 1);
  }
});

test("mident account get-access-token prints azure-cli's shape", async () => {
  const r = await cli(srv.dataDir, ["account", "get-access-token", "--resource", "https://vault.azure.net"]);
  assert.equal(r.code, 0, r.stderr);
  const j = r.json;
  assert.equal(j.tokenType, "Bearer");
  assert.equal(j.tenant, ep.tenantId);
  assert.equal(j.subscription, ep.subscriptionId);
  assert.ok(Number.isInteger(j.expires_on));
  assert.match(j.expiresOn, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
  assert.equal(decodeJwt(j.accessToken).payload.aud, "https://vault.azure.net");
  const bad = await cli("/nonexistent-mident-dir", ["account", "get-access-token"]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^ERROR: .*endpoints\.json/);
});

test("key rotation: new tokens use the new kid, old tokens keep verifying", async () => {
  const old = await adminToken(ep);
  const oldKid = decodeJwt(old).header.kid;
  const r = await cli(srv.dataDir, ["keys", "rotate"]);
  assert.equal(r.code, 0, r.stderr);
  assert.notEqual(r.json.activeKid, oldKid);
  await new Promise((res) => setTimeout(res, 1100)); // the server re-reads keys at most once a second
  const fresh = await adminToken(ep);
  assert.equal(decodeJwt(fresh).header.kid, r.json.activeKid);
  const jwks = await runClient(ep, "http.mjs", ["GET", `${ep.authority}/${ep.tenantId}/discovery/v2.0/keys`]);
  const kids = jwks.json.body.keys.map((k) => k.kid);
  assert.ok(kids.includes(oldKid) && kids.includes(r.json.activeKid));
  for (const t of [old, fresh]) {
    const v = await runClient(ep, "jose_verify.mjs", [discovery(false), t, "https://management.azure.com/"]);
    assert.equal(v.json.ok, true, v.stdout);
  }
});

test("restart on the same data directory keeps tenant, subscription, admin and keys", async () => {
  const port = await freePort();
  let one = await startMident({ listen: `127.0.0.1:${port}` });
  const e1 = one.endpoints;
  const tok = await adminToken(e1);
  const stopped = await one.stop();
  assert.equal(stopped.code, 0, "clean exit on SIGTERM");
  one = await startMident({ dataDir: one.dataDir, listen: `127.0.0.1:${port}` });
  try {
    const e2 = one.endpoints;
    assert.equal(e2.tenantId, e1.tenantId);
    assert.equal(e2.subscriptionId, e1.subscriptionId);
    assert.equal(e2.admin.clientId, e1.admin.clientId);
    assert.equal(e2.admin.clientSecret, e1.admin.clientSecret);
    assert.equal(e2.issuer, e1.issuer);
    const v = await runClient(e2, "jose_verify.mjs", [
      `${e2.authority}/${e2.tenantId}/.well-known/openid-configuration`, tok,
      "https://management.azure.com/"]);
    assert.equal(v.json.ok, true, v.stdout);
    // the old admin secret still works after the restart
    await adminToken(e2);
  } finally { await one.stop(); }
});
