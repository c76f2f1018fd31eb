// identity_secret.mjs AUTHORITY TENANT CLIENT_ID SECRET SCOPE
// The unmodified @azure/identity ClientSecretCredential against mident's
// authority (instance discovery disabled, as for any non-Microsoft
// authority). Prints {"ok":true,"token":...,"expiresOnTimestamp":...} or
// {"ok":false,"name":...,"message":...}.
import { ClientSecretCredential } from "@azure/identity";
const [authority, tenant, clientId, secret, scope] = process.argv.slice(2);
try {
  const cred = new ClientSecretCredential(tenant, clientId, secret, {
    authorityHost: authority, disableInstanceDiscovery: true });
  const t = await cred.getToken(scope);
  console.log(JSON.stringify({ ok: true, token: t.token, expiresOnTimestamp: t.expiresOnTimestamp }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, name: e.name, message: e.message }));
}
