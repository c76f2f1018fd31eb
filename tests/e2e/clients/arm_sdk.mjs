// arm_sdk.mjs ENDPOINT SUBSCRIPTION RESOURCE_GROUP LOCATION
// Walks the identity and container-app lifecycle with the unmodified
// @azure/arm-msi and @azure/arm-appcontainers SDKs against mident, and prints
// one JSON object with what each step observed (or {"error":...} for the
// step that threw). The token is in $ARM_TOKEN.
import { ManagedServiceIdentityClient } from "@azure/arm-msi";
import { ContainerAppsAPIClient } from "@azure/arm-appcontainers";

const [endpoint, sub, rg, location] = process.argv.slice(2);
const credential = {
  getToken: async () => ({ token: process.env.ARM_TOKEN, expiresOnTimestamp: Date.now() + 3600e3 }),
};
const options = { endpoint, credentialScopes: ["https://management.azure.com/.default"] };
const msi = new ManagedServiceIdentityClient(credential, sub, options);
const apps = new ContainerAppsAPIClient(credential, sub, options);
const poll = { updateIntervalInMs: 10 };

const out = {};
let step = "start";
const collect = async (it) => { const a = []; for await (const x of it) a.push(x); return a; };
const ids = (identity) => Object.keys(identity?.userAssignedIdentities ?? {}).map((k) => k.toLowerCase()).sort();

try {
  step = "create identities";
  const a = await msi.userAssignedIdentities.createOrUpdate(rg, "id-a", { location, tags: { k: "v" } });
  const b = await msi.userAssignedIdentities.createOrUpdate(rg, "id-b", { location });
  out.idA = { id: a.id, principalId: a.principalId, clientId: a.clientId, tenantId: a.tenantId };
  out.idB = { id: b.id, principalId: b.principalId, clientId: b.clientId };

  step = "re-put identity";
  const a2 = await msi.userAssignedIdentities.createOrUpdate(rg, "id-a", { location, tags: { k: "v2" } });
  out.idARePut = { principalId: a2.principalId, clientId: a2.clientId, tags: a2.tags };

  step = "patch identity tags";
  const a3 = await msi.userAssignedIdentities.update(rg, "id-a", { tags: { patched: "yes" } });
  out.idAPatched = { tags: a3.tags, principalId: a3.principalId };

  step = "get and list identities";
  out.idAGet = (await msi.userAssignedIdentities.get(rg, "id-a")).principalId;
  out.listByGroup = (await collect(msi.userAssignedIdentities.listByResourceGroup(rg))).map((x) => x.name).sort();
  out.listBySub = (await collect(msi.userAssignedIdentities.listBySubscription())).map((x) => x.name).sort();

  step = "create environment";
  const env = await apps.managedEnvironments.beginCreateOrUpdateAndWait(rg, "env1", { location }, poll);
  out.env = { id: env.id, state: env.provisioningState };

  step = "create app with system identity";
  const app = await apps.containerApps.beginCreateOrUpdateAndWait(rg, "app1", {
    location,
    environmentId: env.id,
    identity: { type: "SystemAssigned" },
    configuration: { secrets: [{ name: "pw", value: "s3cret" }], ingress: { external: true, targetPort: 8080 } },
    template: {
      containers: [{ name: "main", image: "busybox", command: ["sleep"], args: ["3600"],
                     env: [{ name: "A", value: "1" }, { name: "PW", secretRef: "pw" }] }],
      scale: { minReplicas: 1, maxReplicas: 2 },
    },
  }, poll);
  out.created = { type: app.identity?.type, principalId: app.identity?.principalId,
                  tenantId: app.identity?.tenantId, state: app.provisioningState,
                  secrets: app.configuration?.secrets };

  step = "attach two user-assigned identities (PATCH)";
  const two = await apps.containerApps.beginUpdateAndWait(rg, "app1", {
    location,
    identity: { type: "SystemAssigned,UserAssigned", userAssignedIdentities: { [a.id]: {}, [b.id]: {} } },
  }, poll);
  out.two = { type: two.identity?.type, principalId: two.identity?.principalId, ids: ids(two.identity),
              entries: two.identity?.userAssignedIdentities };

  step = "remove one by read-modify-write PUT";
  const cur = await apps.containerApps.get(rg, "app1");
  const map = { ...cur.identity.userAssignedIdentities };
  for (const k of Object.keys(map)) if (k.toLowerCase() === a.id.toLowerCase()) delete map[k];
  cur.identity.userAssignedIdentities = map;
  const one = await apps.containerApps.beginCreateOrUpdateAndWait(rg, "app1", cur, poll);
  out.one = { type: one.identity?.type, ids: ids(one.identity), principalId: one.identity?.principalId };

  step = "system identity off";
  const off = await apps.containerApps.beginUpdateAndWait(rg, "app1", { location, identity: { type: "UserAssigned" } }, poll);
  out.off = { type: off.identity?.type, principalId: off.identity?.principalId ?? null, ids: ids(off.identity) };

  step = "system identity on again";
  const on = await apps.containerApps.beginUpdateAndWait(rg, "app1", { location, identity: { type: "SystemAssigned, UserAssigned" } }, poll);
  out.on = { type: on.identity?.type, principalId: on.identity?.principalId, ids: ids(on.identity) };

  step = "user-assigned only";
  const ua = await apps.containerApps.beginUpdateAndWait(rg, "app1", { location, identity: { type: "UserAssigned" } }, poll);
  out.uaOnly = { type: ua.identity?.type, principalId: ua.identity?.principalId ?? null };

  step = "type None";
  const none = await apps.containerApps.beginUpdateAndWait(rg, "app1", { location, identity: { type: "None" } }, poll);
  out.none = { type: none.identity?.type, ids: ids(none.identity) };

  step = "system only";
  const sys = await apps.containerApps.beginUpdateAndWait(rg, "app1", { location, identity: { type: "SystemAssigned" } }, poll);
  out.sysOnly = { type: sys.identity?.type, principalId: sys.identity?.principalId };

  step = "update image (PUT)";
  const got = await apps.containerApps.get(rg, "app1");
  got.template.containers[0].image = "busybox:1.36";
  const upd = await apps.containerApps.beginCreateOrUpdateAndWait(rg, "app1", got, poll);
  out.updated = { image: upd.template.containers[0].image, principalId: upd.identity?.principalId,
                  revisionChanged: upd.latestRevisionName !== got.latestRevisionName };

  step = "listSecrets, list, stop/start";
  out.secrets = (await apps.containerApps.listSecrets(rg, "app1")).value;
  out.appsByGroup = (await collect(apps.containerApps.listByResourceGroup(rg))).map((x) => x.name);
  out.appsBySub = (await collect(apps.containerApps.listBySubscription())).map((x) => x.name);
  await apps.containerApps.beginStopAndWait(rg, "app1", poll);
  out.stopped = (await apps.containerApps.get(rg, "app1")).runningStatus;
  await apps.containerApps.beginStartAndWait(rg, "app1", poll);
  out.started = (await apps.containerApps.get(rg, "app1")).runningStatus;

  step = "delete app and identity";
  out.lastSystemPrincipal = sys.identity?.principalId;
  await apps.containerApps.beginDeleteAndWait(rg, "app1", poll);
  try { await apps.containerApps.get(rg, "app1"); out.appAfterDelete = "still there"; }
  catch (e) { out.appAfterDelete = e.statusCode; }
  await msi.userAssignedIdentities.delete(rg, "id-a");
  try { await msi.userAssignedIdentities.get(rg, "id-a"); out.idAfterDelete = "still there"; }
  catch (e) { out.idAfterDelete = e.statusCode; }
  step = "done";
} catch (e) {
  out.error = { step, message: e.message, statusCode: e.statusCode, code: e.code };
}
console.log(JSON.stringify(out));
