// A real, standards-conformant OpenID Connect provider for the sign-in test, on 127.0.0.1 only.
// Any login is accepted (the provider's development login form); the login is the account's e-mail, verified
// unless it starts with "unverified." (a provider passing on an address it has not confirmed).
// Usage: node provider.mjs PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI [ID_TOKEN_SECONDS]
// ID_TOKEN_SECONDS (default 3600) sets how long an ID token lasts: its exp, which the app must honour.
import Provider from "oidc-provider";

const [port, clientId, clientSecret, redirectUri, idTokenSeconds] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      post_logout_redirect_uris: [redirectUri, redirectUri.replace(/\/oauth2callback$/, "/")],
      grant_types: ["authorization_code"],
      response_types: ["code"],
    },
  ],
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: id, email_verified: !id.startsWith("unverified."), name: id.split("@")[0] };
      },
    };
  },
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
  // Streamlit builds st.user from the ID token alone, so the e-mail must be in it.
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ["checklist-test-only-key"] },
  ttl: { IdToken: Number(idTokenSeconds || 3600) },
});
provider.proxy = false;
provider.listen(Number(port), "127.0.0.1", () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
