# mi_probe.py -- the Python twin of mi_probe.mjs: a container app run by
# mident's node agent as `/usr/bin/python3 tests/e2e/apps/mi_probe.py`,
# using Debian's unmodified azure.identity (python3-azure) the way an app
# in Azure Container Apps would. Same file protocol as mi_probe.mjs
# (kinds "mic" and "dac"); ids: {"clientId"|"objectId"|"resourceId"}.
import hashlib
import json
import os
import sys
import threading
import time

from azure.identity import DefaultAzureCredential, ManagedIdentityCredential

secret = os.environ.get("IDENTITY_HEADER", "")
print(json.dumps({"event": "start", "pid": os.getpid(), "env": {
    "IDENTITY_ENDPOINT": os.environ.get("IDENTITY_ENDPOINT"),
    "headerLength": len(secret),
    "headerHash": hashlib.sha256(secret.encode()).hexdigest()[:16] if secret else None,
    "names": sorted(os.environ.keys()),
}}), flush=True)


def credential(req):
    ident = req.get("id") or {}
    if req["kind"] == "dac":
        if req.get("clientId"):
            return DefaultAzureCredential(managed_identity_client_id=req["clientId"])
        return DefaultAzureCredential()
    if "clientId" in ident:
        return ManagedIdentityCredential(client_id=ident["clientId"])
    if "objectId" in ident:
        return ManagedIdentityCredential(identity_config={"object_id": ident["objectId"]})
    if "resourceId" in ident:
        return ManagedIdentityCredential(identity_config={"mi_res_id": ident["resourceId"]})
    return ManagedIdentityCredential()


def handle(name, req):
    started = time.time()
    try:
        t = credential(req).get_token(req["scope"])
        res = {"ok": True, "token": t.token, "expiresOn": t.expires_on}
    except Exception as e:  # the test reads the refusal
        res = {"ok": False, "name": type(e).__name__, "message": str(e)}
    res["ms"] = int((time.time() - started) * 1000)
    with open("tmp-" + name, "w") as f:
        json.dump(res, f)
    os.rename("tmp-" + name, "res-" + name)


busy = set()
while True:
    for f in os.listdir("."):
        if f.startswith("req-") and f.endswith(".json") and f not in busy:
            busy.add(f)
            with open(f) as fh:
                req = json.load(fh)
            name = f[len("req-"):]
            os.rename(f, "taken-" + name)
            threading.Thread(target=handle, args=(name, req), daemon=True).start()
    time.sleep(0.02)
    sys.stdout.flush()
