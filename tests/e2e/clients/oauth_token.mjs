// oauth_token.mjs AUTHORITY TENANT CLIENT_ID SECRET RESOURCE [v1|v2|adfs]
// Requests a client-credentials token with a plain form POST and prints
// {"status": N, "body": {...}}. Used to test the token endpoint's wire shape.
const [authority, tenant, clientId, secret, resource, ver = "v1"] = process.argv.slice(2);
const form = new URLSearchParams({ grant_type: "client_credentials", client_id: clientId,
                                   client_secret: secret });
let url;
if (ver === "v1") { url = `${authority}/${tenant}/oauth2/token`; form.set("resource", resource); }
else if (ver === "v2") { url = `${authority}/${tenant}/oauth2/v2.0/token`; form.set("scope", `${resource}/.default`); }
else { url = `${authority}/adfs/oauth2/token`; form.set("scope", `${resource}/.default`); }
const r = await fetch(url, { method: "POST", body: form,
                             headers: { "content-type": "application/x-www-form-urlencoded" } });
console.log(JSON.stringify({ status: r.status, body: await r.json() }));
