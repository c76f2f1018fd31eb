#!/usr/bin/python3
"""arm_sdk_test.py -- the resource manager with Debian's python3-azure.

Starts a real `mident up`, then drives it with the unmodified
azure.mgmt.msi and azure.mgmt.appcontainers clients (run with
/usr/bin/python3): identities and container apps are created, read,
updated, listed and deleted, and each identity type is set. Requests trusts
a bundle of the system CAs plus mident's CA, set explicitly (the
environment's REQUESTS_CA_BUNDLE is not relied on).
"""
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest
import uuid
import warnings

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BIN = os.environ.get("MIDENT_BIN") or os.path.join(ROOT, "build", "mident")
LOC = "westeurope"


class StaticToken:
    """A TokenCredential handing out one ARM token."""

    def __init__(self, token):
        self.token = token

    def get_token(self, *scopes, **kwargs):
        from azure.core.credentials import AccessToken
        return AccessToken(self.token, int(time.time()) + 3600)


class Mident:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="mident-py-")
        ep_path = os.path.join(self.dir, "endpoints.json")
        self.log = open(os.path.join(self.dir, "server.log"), "w+")
        self.proc = subprocess.Popen(
            [BIN, "up", "--data", self.dir, "--listen", "127.0.0.1:0",
             "--log-level", "warn"], stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(300):
            if self.proc.poll() is not None:
                raise RuntimeError("mident up exited: " + self.output())
            if os.path.exists(ep_path) and "mident is up" in self.output():
                break
            time.sleep(0.05)
        with open(ep_path) as f:
            self.ep = json.load(f)
        # system CAs + mident's CA
        self.bundle = os.path.join(self.dir, "bundle.pem")
        with open(self.bundle, "w") as out:
            for path in ("/etc/ssl/certs/ca-certificates.crt", self.ep["caCert"]):
                if os.path.exists(path):
                    with open(path) as f:
                        out.write(f.read() + "\n")
        os.environ["REQUESTS_CA_BUNDLE"] = self.bundle

    def output(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def token(self, resource="https://management.azure.com/"):
        ep = self.ep
        r = requests.post(
            "%s/%s/oauth2/token" % (ep["authority"], ep["tenantId"]),
            data={"grant_type": "client_credentials",
                  "client_id": ep["admin"]["clientId"],
                  "client_secret": ep["admin"]["clientSecret"],
                  "resource": resource},
            verify=self.bundle, timeout=30)
        r.raise_for_status()
        return r.json()["access_token"]

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class ArmSdkTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        warnings.simplefilter("ignore", ResourceWarning)  # pooled sockets
        cls.m = Mident()
        cls.tok = cls.m.token()
        cls.sub = cls.m.ep["subscriptionId"]
        cls.base = cls.m.ep["arm"].rstrip("/")

    @classmethod
    def tearDownClass(cls):
        cls.m.stop()

    def arm(self, method, path, body=None):
        url = self.base + path
        url += ("&" if "?" in url else "?") + "api-version=2025-04-01"
        r = requests.request(method, url, json=body, verify=self.m.bundle,
                             headers={"Authorization": "Bearer " + self.tok},
                             timeout=30)
        return r

    def clients(self):
        from azure.mgmt.appcontainers import ContainerAppsAPIClient
        from azure.mgmt.msi import ManagedServiceIdentityClient
        cred = StaticToken(self.tok)
        kw = dict(base_url=self.base,
                  credential_scopes=["https://management.azure.com/.default"])
        return (ManagedServiceIdentityClient(cred, self.sub, **kw),
                ContainerAppsAPIClient(cred, self.sub, **kw))

    def principal_exists(self, oid):
        path = "/subscriptions/%s/providers/Microsoft.Authorization/roleAssignments/%s" % (
            self.sub, uuid.uuid4())
        r = self.arm("PUT", path, {"properties": {
            "roleDefinitionId": "/subscriptions/%s/providers/Microsoft.Authorization/"
                                "roleDefinitions/acdd72a7-3c48-4b2a-8f25-8b3a8c0ad5f1" % self.sub,
            "principalId": oid}})
        if r.status_code == 201:
            self.arm("DELETE", path)
            return True
        self.assertEqual(r.json()["error"]["code"], "PrincipalNotFound", r.text)
        return False

    def test_identity_and_container_app_lifecycle(self):
        from azure.core.exceptions import ResourceNotFoundError
        from azure.mgmt.appcontainers import models as am
        rg = "rg-py"
        self.assertIn(self.arm("PUT", "/subscriptions/%s/resourcegroups/%s" % (self.sub, rg),
                               {"location": LOC}).status_code, (200, 201))
        msi, apps = self.clients()
        poll = dict(polling_interval=0)

        # identities
        a = msi.user_assigned_identities.create_or_update(rg, "py-a", {"location": LOC, "tags": {"k": "v"}})
        b = msi.user_assigned_identities.create_or_update(rg, "py-b", {"location": LOC})
        self.assertEqual(a.tenant_id, self.m.ep["tenantId"])
        a2 = msi.user_assigned_identities.create_or_update(rg, "py-a", {"location": LOC})
        self.assertEqual((a2.principal_id, a2.client_id), (a.principal_id, a.client_id))
        a3 = msi.user_assigned_identities.update(rg, "py-a", {"tags": {"p": "1"}})
        self.assertEqual(a3.tags, {"p": "1"})
        self.assertEqual(msi.user_assigned_identities.get(rg, "py-a").principal_id, a.principal_id)
        self.assertEqual(sorted(x.name for x in msi.user_assigned_identities.list_by_resource_group(rg)),
                         ["py-a", "py-b"])
        self.assertTrue({"py-a", "py-b"} <= {x.name for x in msi.user_assigned_identities.list_by_subscription()})

        # environment and app
        env = apps.managed_environments.begin_create_or_update(
            rg, "pyenv", am.ManagedEnvironment(location=LOC), **poll).result()
        app = apps.container_apps.begin_create_or_update(rg, "pyapp", am.ContainerApp(
            location=LOC, managed_environment_id=env.id,
            identity=am.ManagedServiceIdentity(type="SystemAssigned"),
            configuration=am.Configuration(secrets=[am.Secret(name="pw", value="s3cret")]),
            template=am.Template(containers=[am.Container(name="main", image="busybox",
                                                          command=["sleep"], args=["60"])])),
            **poll).result()
        self.assertEqual(app.identity.type, "SystemAssigned")
        first = app.identity.principal_id
        self.assertTrue(first)
        self.assertEqual(app.provisioning_state, "Succeeded")

        # both types with two user-assigned identities
        app.identity = am.ManagedServiceIdentity(
            type="SystemAssigned,UserAssigned",
            user_assigned_identities={a.id: am.UserAssignedIdentity(), b.id: am.UserAssignedIdentity()})
        app.configuration.secrets = [am.Secret(name=s.name, value=s.value)
                                     for s in apps.container_apps.list_secrets(rg, "pyapp").value]
        both = apps.container_apps.begin_create_or_update(rg, "pyapp", app, **poll).result()
        self.assertEqual(both.identity.type, "SystemAssigned,UserAssigned")
        self.assertEqual(both.identity.principal_id, first)
        self.assertEqual(sorted(k.lower() for k in both.identity.user_assigned_identities),
                         sorted([a.id.lower(), b.id.lower()]))
        ua = {k.lower(): v for k, v in both.identity.user_assigned_identities.items()}
        self.assertEqual(ua[a.id.lower()].principal_id, a.principal_id)
        self.assertEqual(ua[a.id.lower()].client_id, a.client_id)

        # remove one, and the system identity
        both.identity = am.ManagedServiceIdentity(
            type="UserAssigned", user_assigned_identities={b.id: am.UserAssignedIdentity()})
        one = apps.container_apps.begin_create_or_update(rg, "pyapp", both, **poll).result()
        self.assertEqual(one.identity.type, "UserAssigned")
        self.assertEqual([k.lower() for k in one.identity.user_assigned_identities], [b.id.lower()])
        self.assertFalse(self.principal_exists(first))

        # system identity back (PATCH): a new principal
        on = apps.container_apps.begin_update(rg, "pyapp", am.ContainerApp(
            location=LOC, identity=am.ManagedServiceIdentity(type="SystemAssigned, UserAssigned")),
            **poll).result()
        self.assertEqual(on.identity.type, "SystemAssigned,UserAssigned")
        self.assertNotEqual(on.identity.principal_id, first)
        self.assertTrue(self.principal_exists(on.identity.principal_id))

        # None
        second = on.identity.principal_id
        on.identity = am.ManagedServiceIdentity(type="None")
        none = apps.container_apps.begin_create_or_update(rg, "pyapp", on, **poll).result()
        self.assertEqual(none.identity.type, "None")
        self.assertFalse(none.identity.user_assigned_identities)
        self.assertFalse(self.principal_exists(second))

        # secrets survived; lists; delete
        self.assertEqual([(s.name, s.value) for s in apps.container_apps.list_secrets(rg, "pyapp").value],
                         [("pw", "s3cret")])
        self.assertEqual([x.name for x in apps.container_apps.list_by_resource_group(rg)], ["pyapp"])
        self.assertIn("pyapp", [x.name for x in apps.container_apps.list_by_subscription()])
        apps.container_apps.begin_delete(rg, "pyapp", **poll).result()
        with self.assertRaises(ResourceNotFoundError):
            apps.container_apps.get(rg, "pyapp")
        msi.user_assigned_identities.delete(rg, "py-a")
        with self.assertRaises(ResourceNotFoundError):
            msi.user_assigned_identities.get(rg, "py-a")
        self.assertFalse(self.principal_exists(a.principal_id))
        self.assertTrue(self.principal_exists(b.principal_id))

    def test_errors_have_arm_shape(self):
        from azure.core.exceptions import HttpResponseError
        msi, _ = self.clients()
        with self.assertRaises(HttpResponseError) as cm:
            msi.user_assigned_identities.create_or_update("rg-missing", "x-y-z", {"location": LOC})
        self.assertEqual(cm.exception.status_code, 404)
        self.assertEqual(cm.exception.error.code, "ResourceGroupNotFound")


if __name__ == "__main__":
    unittest.main()
