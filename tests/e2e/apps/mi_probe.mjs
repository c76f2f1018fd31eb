// mi_probe.mjs -- a container app for the agent's end-to-end tests, run by
// mident's node agent as `node tests/e2e/apps/mi_probe.mjs`. It uses the
// unmodified npm @azure/identity exactly as an app in Azure Container Apps
// would: the credential finds IDENTITY_ENDPOINT / IDENTITY_HEADER in the
// environment the agent gave it.
//
// Protocol with the test (through the replica's working directory):
//   stdout: {"event":"start","pid":...,"env":{...}} once (never a secret:
//           only its length and a SHA-256 prefix)
//   the test writes req-ID.json; the probe answers in res-ID.json:
//     {"kind":"mic", "scope", "id":{clientId|objectId|resourceId}?}
//         -> ManagedIdentityCredential(id).getToken(scope)
//     {"kind":"dac", "scope", "clientId"?}
//         -> DefaultAzureCredential (AZURE_TOKEN_CREDENTIALS pins it to
//            managed identity in the app's env).getToken(scope)
//     {"kind":"raw", "query":{...}, "headers":{...}, "path"?}
//         -> a plain GET of the endpoint; a header value "$SECRET" is
//            replaced by IDENTITY_HEADER. Answers {status, body}.
//   res: {"ok":true,"token","expiresOnTimestamp"} | {"ok":false,"name","message"}
import { ManagedIdentityCredential, DefaultAzureCredential } from "@azure/identity";
import { readdirSync, readFileSync, writeFileSync, renameSync } from "node:fs";
import { createHash } from "node:crypto";

const secret = process.env.IDENTITY_HEADER || "";
const hash = (s) => createHash("sha256").update(s).digest("hex").slice(0, 16);
console.log(JSON.stringify({ event: "start", pid: process.pid, env: {
  IDENTITY_ENDPOINT: process.env.IDENTITY_ENDPOINT,
  MSI_ENDPOINT: process.env.MSI_ENDPOINT,
  headerLength: secret.length,
  headerHash: secret ? hash(secret) : null,
  msiSecretSame: process.env.MSI_SECRET === secret,
  names: Object.keys(process.env).sort(),
  APP_SETTING: process.env.APP_SETTING ?? null,
  APP_PASSWORD_HASH: process.env.APP_PASSWORD ? hash(process.env.APP_PASSWORD) : null,
} }));

async function handle(req) {
  if (req.kind === "raw") {
    const url = new URL(process.env.IDENTITY_ENDPOINT);
    if (req.path) url.pathname = req.path;
    for (const [k, v] of Object.entries(req.query || {})) url.searchParams.append(k, v);
    const headers = {};
    for (const [k, v] of Object.entries(req.headers || {})) headers[k] = v === "$SECRET" ? secret : v;
    const r = await fetch(url, { method: req.method || "GET", headers });
    const text = await r.text();
    let body; try { body = JSON.parse(text); } catch { body = text; }
    return { status: r.status, body };
  }
  let cred;
  if (req.kind === "dac")
    cred = new DefaultAzureCredential(req.clientId ? { managedIdentityClientId: req.clientId } : undefined);
  else
    cred = req.id ? new ManagedIdentityCredential(req.id) : new ManagedIdentityCredential();
  const started = Date.now();
  try {
    const t = await cred.getToken(req.scope);
    return { ok: true, token: t.token, expiresOnTimestamp: t.expiresOnTimestamp, ms: Date.now() - started };
  } catch (e) {
    return { ok: false, name: e.name, message: e.message, ms: Date.now() - started };
  }
}

const busy = new Set();
setInterval(() => {
  for (const f of readdirSync(".")) {
    const m = /^req-([\w-]+)\.json$/.exec(f);
    if (!m || busy.has(m[1])) continue;
    busy.add(m[1]);
    const req = JSON.parse(readFileSync(f, "utf8"));
    renameSync(f, `taken-${m[1]}.json`);
    handle(req).catch((e) => ({ ok: false, name: e.name, message: String(e) })).then((res) => {
      writeFileSync(`tmp-${m[1]}.json`, JSON.stringify(res));
      renameSync(`tmp-${m[1]}.json`, `res-${m[1]}.json`);
    });
  }
}, 20);
