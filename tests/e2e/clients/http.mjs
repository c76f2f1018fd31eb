// http.mjs METHOD URL [BODY] [CONTENT_TYPE]
// One raw HTTPS request trusting mident's CA; prints
// {"status":N,"headers":{...},"body":<json or text>}.
const [method, url, body, ctype] = process.argv.slice(2);
const headers = {};
if (ctype) headers["content-type"] = ctype;
if (process.env.BEARER) headers.authorization = `Bearer ${process.env.BEARER}`;
const r = await fetch(url, { method, body: body === undefined ? undefined : body, headers });
const text = await r.text();
let parsed; try { parsed = JSON.parse(text); } catch { parsed = text; }
console.log(JSON.stringify({ status: r.status, headers: Object.fromEntries(r.headers), body: parsed }));
