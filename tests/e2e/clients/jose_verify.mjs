// jose_verify.mjs DISCOVERY_URL TOKEN AUDIENCE
// An independent validator: the npm `jose` library fetches mident's OpenID
// configuration and JWKS over HTTPS (trusting mident's CA through
// NODE_EXTRA_CA_CERTS) and verifies the token's signature, issuer, audience
// and lifetime. Prints {"ok":true,"payload":...,"header":...} or
// {"ok":false,"code":...,"message":...}.
import { createRemoteJWKSet, jwtVerify } from "jose";
const [discoveryUrl, token, audience] = process.argv.slice(2);
try {
  const d = await (await fetch(discoveryUrl)).json();
  const jwks = createRemoteJWKSet(new URL(d.jwks_uri));
  const { payload, protectedHeader } = await jwtVerify(token, jwks, {
    issuer: d.issuer, audience, algorithms: ["RS256"] });
  console.log(JSON.stringify({ ok: true, payload, header: protectedHeader, issuer: d.issuer }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, code: e.code, message: e.message }));
}
