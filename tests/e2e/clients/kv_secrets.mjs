// kv_secrets.mjs VAULT_URL OPS_JSON -- the unmodified npm
// @azure/keyvault-secrets SecretClient against a mident vault. The
// credential is the unmodified @azure/identity ClientSecretCredential
// against mident's authority (env KV_AUTHORITY, KV_TENANT, KV_CLIENT_ID,
// KV_CLIENT_SECRET; instance discovery off as for any non-Microsoft
// authority). disableChallengeResourceVerification: the vault's host is
// 127.0.0.1, not a subdomain of vault.azure.net (docs/vault.md).
//
// OPS_JSON is a list of {op, name?, value?, version?, options?}; prints one
// JSON line: [{ok:true, result} | {ok:false, status, code, message}, ...].
import { SecretClient } from "@azure/keyvault-secrets";
import { ClientSecretCredential } from "@azure/identity";

const [vaultUrl, opsText] = process.argv.slice(2);
const cred = new ClientSecretCredential(process.env.KV_TENANT, process.env.KV_CLIENT_ID,
  process.env.KV_CLIENT_SECRET, { authorityHost: process.env.KV_AUTHORITY, disableInstanceDiscovery: true });
const client = new SecretClient(vaultUrl, cred, { disableChallengeResourceVerification: true });
const out = [];
const plain = (s) => s && ({ name: s.name, value: s.value, version: s.properties?.version ?? s.version,
  id: s.properties?.id ?? s.id, vaultUrl: s.properties?.vaultUrl ?? s.vaultUrl,
  enabled: s.properties?.enabled ?? s.enabled, contentType: s.properties?.contentType ?? s.contentType,
  tags: s.properties?.tags ?? s.tags, createdOn: (s.properties?.createdOn ?? s.createdOn)?.toISOString?.(),
  recoveryId: s.recoveryId });
for (const o of JSON.parse(opsText)) {
  try {
    let result;
    switch (o.op) {
      case "set": result = plain(await client.setSecret(o.name, o.value, o.options)); break;
      case "get": result = plain(await client.getSecret(o.name, o.version ? { version: o.version } : {})); break;
      case "update": result = plain(await client.updateSecretProperties(o.name, o.version, o.options)); break;
      case "list": { result = []; for await (const p of client.listPropertiesOfSecrets({ maxPageSize: o.pageSize })) result.push(plain(p)); break; }
      case "listPages": { result = []; for await (const page of client.listPropertiesOfSecrets().byPage({ maxPageSize: o.pageSize })) result.push(page.length); break; }
      case "versions": { result = []; for await (const p of client.listPropertiesOfSecretVersions(o.name)) result.push(plain(p)); break; }
      case "delete": { const poller = await client.beginDeleteSecret(o.name); result = plain(await poller.pollUntilDone()); break; }
      default: throw new Error(`unknown op ${o.op}`);
    }
    out.push({ ok: true, result });
  } catch (e) {
    out.push({ ok: false, status: e.statusCode, code: e.code, message: e.message });
  }
}
console.log(JSON.stringify(out));
