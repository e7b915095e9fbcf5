// A real OpenID provider for the integration tests (identity; Kafka OAUTHBEARER) — the certified `oidc-provider`, ESM-only,
// hence its own process launched with `node`. Everything comes from OIDC_TEST_PROVIDER (JSON):
//   { port, issuer, keys: [private JWKs, the first signs], clients: [client metadata],
//     accountGroups: { account: [groups] }, clientGroups: { client_id: [groups] }, resources: [audiences],
//     claimsInIdToken: boolean }
// Any login is accepted (devInteractions); an account's groups come from accountGroups. Machine
// clients get JWT access tokens (client_credentials + a resource indicator) whose groups come from
// clientGroups. Prints "ready" once it listens.
import Provider from 'oidc-provider';

const settings = JSON.parse(process.env.OIDC_TEST_PROVIDER ?? '{}');

const provider = new Provider(settings.issuer, {
  clients: settings.clients,
  jwks: { keys: settings.keys },
  cookies: { keys: ['cairn-identity-tests'] },
  // An account's claims, for ID tokens (and userinfo).
  findAccount: (_ctx, id) => ({
    accountId: id,
    claims: () => ({ sub: id, preferred_username: id, email: `${id}@example.test`, groups: settings.accountGroups?.[id] ?? [] }),
  }),
  claims: { openid: ['sub'], profile: ['preferred_username'], email: ['email'], groups: ['groups'] },
  // claimsInIdToken: scope claims in the ID token of a code flow too (as Keycloak and Entra ID do);
  // otherwise only in userinfo (as Okta and the spec's default do).
  conformIdTokenClaims: settings.claimsInIdToken !== true,
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: (_ctx, _client, oneOf) => oneOf,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, resource) => {
        if (!settings.resources.includes(resource)) throw new Error(`unknown resource ${resource}`);
        return { scope: 'api', audience: resource, accessTokenTTL: 300, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } };
      },
    },
  },
  // Machine clients carry a user name and groups like people do.
  extraTokenClaims: (_ctx, token) => {
    const groups = settings.clientGroups?.[token.clientId];
    return groups === undefined || token.accountId !== undefined ? undefined : { preferred_username: token.clientId, groups };
  },
});

provider.listen(settings.port, '127.0.0.1', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => process.exit(0));
