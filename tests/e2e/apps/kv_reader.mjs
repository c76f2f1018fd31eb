// kv_reader.mjs -- a container app that reads secrets with the unmodified
// npm @azure/keyvault-secrets SecretClient and @azure/identity's
// ManagedIdentityCredential, as an app in Azure Container Apps would. The
// agent gives it IDENTITY_ENDPOINT / IDENTITY_HEADER; the app's env gives
// VAULT_URL, NODE_EXTRA_CA_CERTS (mident's CA) and, for a user-assigned
// identity, MI_CLIENT_ID.
//
// Protocol with the test, through the working directory: the test writes
// req-ID.json {"name"}; the app answers res-ID.json with
// {"ok":true,"value"} or {"ok":false,"status","code"}. One SecretClient
// serves every request, as in a long-running app.
import { SecretClient } from "@azure/keyvault-secrets";
import { ManagedIdentityCredential } from "@azure/identity";
import { readdirSync, readFileSync, writeFileSync, renameSync, unlinkSync } from "node:fs";

const cred = process.env.MI_CLIENT_ID
  ? new ManagedIdentityCredential({ clientId: process.env.MI_CLIENT_ID })
  : new ManagedIdentityCredential();
const client = new SecretClient(process.env.VAULT_URL, cred, { disableChallengeResourceVerification: true });
console.log(JSON.stringify({ event: "start", pid: process.pid }));
const busy = new Set();
setInterval(async () => {
  for (const f of readdirSync(".")) {
    const m = /^req-(.+)\.json$/.exec(f);
    if (!m || busy.has(f)) continue;
    busy.add(f);
    let res;
    try {
      const req = JSON.parse(readFileSync(f, "utf8"));
      unlinkSync(f);
      const s = await client.getSecret(req.name);
      res = { ok: true, value: s.value };
    } catch (e) {
      res = { ok: false, status: e.statusCode, code: e.code, message: e.message };
    }
    writeFileSync(`tmp-${m[1]}`, JSON.stringify(res));
    renameSync(`tmp-${m[1]}`, `res-${m[1]}.json`);
    busy.delete(f);
  }
}, 20);
