# kv_reader.py -- the Python twin of kv_reader.mjs: a container app reading
# secrets with Debian's python3-azure SecretClient and
# ManagedIdentityCredential (client_id from MI_CLIENT_ID for a
# user-assigned identity). REQUESTS_CA_BUNDLE (mident's CA) comes from the
# app's env. verify_challenge_resource=False: the vault's host is
# 127.0.0.1, not a subdomain of vault.azure.net (docs/vault.md).
# Same request/response files as kv_reader.mjs.
import json
import os
import re
import sys
import time

from azure.core.exceptions import HttpResponseError
from azure.identity import ManagedIdentityCredential
from azure.keyvault.secrets import SecretClient

cid = os.environ.get("MI_CLIENT_ID")
cred = ManagedIdentityCredential(client_id=cid) if cid else ManagedIdentityCredential()
client = SecretClient(os.environ["VAULT_URL"], cred, verify_challenge_resource=False)
print(json.dumps({"event": "start", "pid": os.getpid()}), flush=True)
while True:
    for f in sorted(os.listdir(".")):
        m = re.match(r"^req-(.+)\.json$", f)
        if not m:
            continue
        try:
            with open(f) as fh:
                req = json.load(fh)
            os.unlink(f)
            res = {"ok": True, "value": client.get_secret(req["name"]).value}
        except HttpResponseError as e:
            code = getattr(getattr(e, "error", None), "code", None)
            res = {"ok": False, "status": e.status_code, "code": code, "message": str(e)[:300]}
        except Exception as e:  # noqa: BLE001 -- reported to the test
            res = {"ok": False, "status": None, "code": type(e).__name__, "message": str(e)[:300]}
        tmp = "tmp-" + m.group(1)
        with open(tmp, "w") as fh:
            json.dump(res, fh)
        os.rename(tmp, "res-" + m.group(1) + ".json")
    time.sleep(0.02)
    sys.stdout.flush()
