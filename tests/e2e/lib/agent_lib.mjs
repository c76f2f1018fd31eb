// agent_lib.mjs -- what the node agent's end-to-end tests share: ARM
// calls with a bearer token, the replicas an agent runs (read from its
// data directory), and asking a replica's probe (tests/e2e/apps/mi_probe.mjs)
// to do a request through the replica's working directory.
import { request } from "node:https";
import { readFileSync, readdirSync, writeFileSync, existsSync, renameSync } from "node:fs";
import { join } from "node:path";
import { randomUUID } from "node:crypto";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const API = "api-version=2025-07-01";

export function alive(pid) { try { process.kill(pid, 0); return true; } catch { return false; } }

// One ARM request; resolves {status, headers, body, text}.
export function armRequest({ ep, ca, bearer }, method, path, body) {
  let url = ep.arm.replace(/\/$/, "") + path;
  if (!/[?&]api-version=/.test(url)) url += (url.includes("?") ? "&" : "?") + API;
  const data = body === undefined ? undefined : JSON.stringify(body);
  const h = {};
  if (bearer) h.authorization = `Bearer ${bearer}`;
  if (data !== undefined) { h["content-type"] = "application/json"; h["content-length"] = Buffer.byteLength(data); }
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: h, ca }, (res) => {
      let text = "";
      res.on("data", (d) => (text += d));
      res.on("end", () => {
        let json; try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, body: json, text });
      });
    });
    req.on("error", reject);
    if (data !== undefined) req.write(data);
    req.end();
  });
}

// The replicas of an app that are running now, under an agent's data
// directory: [{name, dir, work, pid, start, meta, starts}]
export function listReplicas(dataDir, rg, app) {
  const dir = join(dataDir, "replicas", rg, app.toLowerCase());
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir)) {
    const d = join(dir, name);
    let meta; try { meta = JSON.parse(readFileSync(join(d, "replica.json"), "utf8")); } catch { continue; }
    const starts = readFileSync(join(d, "stdout.log"), "utf8").split("\n")
      .filter((l) => l.startsWith("{")).map((l) => { try { return JSON.parse(l); } catch { return null; } })
      .filter((e) => e && e.event === "start");
    const start = starts.find((s) => s.pid === meta.pid);
    if (start && alive(meta.pid)) out.push({ name, dir: d, work: join(d, "work"), pid: meta.pid, start, meta, starts });
  }
  return out;
}

// Waits for n running replicas (not among the pids in `not`).
export async function waitForReplicas(dataDir, rg, app, n = 1, { timeoutMs = 15000, not = [], output = () => "" } = {}) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const rs = listReplicas(dataDir, rg, app).filter((r) => !not.includes(r.pid));
    if (rs.length >= n) return rs;
    if (Date.now() > until) throw new Error(`app ${app}: ${rs.length} of ${n} replicas running\n${output()}`);
    await sleep(50);
  }
}

// Asks the probe in replica r to do one request; resolves its answer.
export async function ask(r, req, timeoutMs = 40000) {
  const id = randomUUID();
  writeFileSync(join(r.work, `tmp-q-${id}`), JSON.stringify(req));
  // rename: the probe never sees a half-written request
  renameSync(join(r.work, `tmp-q-${id}`), join(r.work, `req-${id}.json`));
  const f = join(r.work, `res-${id}.json`);
  const until = Date.now() + timeoutMs;
  while (!existsSync(f)) {
    if (Date.now() > until) throw new Error(`no answer from ${r.name}\n${readFileSync(join(r.dir, "stderr.log"), "utf8")}`);
    await sleep(10);
  }
  return JSON.parse(readFileSync(f, "utf8"));
}

// A plain GET of the identity endpoint from inside replica r.
export const rawAsk = (r, query, headers = { "X-IDENTITY-HEADER": "$SECRET" }, extra = {}) =>
  ask(r, { kind: "raw", query: { "api-version": "2019-08-01", ...query }, headers, ...extra });
