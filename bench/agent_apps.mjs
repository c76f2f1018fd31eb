// agent_apps.mjs ENDPOINTS_JSON COUNT COMMAND_JSON [FIRST]
// Creates COUNT container apps (each with a system-assigned identity)
// through the ARM API of a running mident, 16 requests at a time, using
// the admin credential from endpoints.json. Run with NODE_EXTRA_CA_CERTS
// set to mident's CA. Prints {"created":N,"seconds":S}.
import { readFileSync } from "node:fs";
const [epPath, countS, commandJson, firstS] = process.argv.slice(2);
const ep = JSON.parse(readFileSync(epPath, "utf8"));
const count = Number(countS), first = Number(firstS || 0);
const command = JSON.parse(commandJson);
const form = new URLSearchParams({ grant_type: "client_credentials", client_id: ep.admin.clientId,
  client_secret: ep.admin.clientSecret, resource: "https://management.azure.com/" });
const tok = (await (await fetch(`${ep.authority}/${ep.tenantId}/oauth2/token`, { method: "POST", body: form })).json()).access_token;
const base = `${ep.arm}/subscriptions/${ep.subscriptionId}/resourceGroups/bench`;
const put = async (path, body) => {
  const r = await fetch(`${base}${path}?api-version=2025-07-01`, { method: "PUT", body: JSON.stringify(body),
    headers: { authorization: `Bearer ${tok}`, "content-type": "application/json" } });
  if (r.status >= 300) throw new Error(`${path}: ${r.status} ${await r.text()}`);
};
const t0 = Date.now();
await put("", { location: "westeurope" });
await put("/providers/Microsoft.App/managedEnvironments/env", { location: "westeurope" });
const envId = `/subscriptions/${ep.subscriptionId}/resourceGroups/bench/providers/Microsoft.App/managedEnvironments/env`;
let next = first;
async function worker() {
  while (next < first + count) {
    const i = next++;
    await put(`/providers/Microsoft.App/containerApps/app${i}`, { location: "westeurope",
      identity: { type: "SystemAssigned" },
      properties: { environmentId: envId, template: { containers: [{ name: "m", image: "bench", command }] } } });
  }
}
await Promise.all(Array.from({ length: 16 }, worker));
console.log(JSON.stringify({ created: count, seconds: (Date.now() - t0) / 1000 }));
