-- The identity context (issue 18): users, their grants on experiments and registered models, group
-- grants from OIDC, machine tokens and browser sessions. Ordinary CRUD tables, read and written
-- through Prisma (libs/identity/src/infra). Every service reads the same tables; a change is
-- announced on the `cairn_identity` NOTIFY channel so every replica drops its caches at once.
CREATE SCHEMA IF NOT EXISTS identity;

CREATE TABLE identity.users (
  id            serial      PRIMARY KEY,
  username      text        NOT NULL UNIQUE,
  -- argon2id in PHC string form; NULL for users who only sign in through OIDC (or not yet set).
  password_hash text,
  is_admin      boolean     NOT NULL DEFAULT false,
  source        text        NOT NULL DEFAULT 'local' CHECK (source IN ('local', 'oidc')),
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- MLflow's experiment_permissions and registered_model_permissions in one table.
CREATE TABLE identity.user_grants (
  user_id       integer NOT NULL REFERENCES identity.users (id) ON DELETE CASCADE,
  resource_type text    NOT NULL CHECK (resource_type IN ('experiment', 'registered_model', 'webhook')),
  resource_id   text    NOT NULL,
  permission    text    NOT NULL CHECK (permission IN ('NO_PERMISSIONS', 'READ', 'EDIT', 'MANAGE')),
  PRIMARY KEY (user_id, resource_type, resource_id)
);
-- Renames and deletions of a resource find its grants by resource.
CREATE INDEX user_grants_resource ON identity.user_grants (resource_type, resource_id);

-- Grants to an OIDC group (the configured groups claim); a member gets the strongest of its
-- groups' grants and its own.
CREATE TABLE identity.group_grants (
  group_name    text NOT NULL,
  resource_type text NOT NULL CHECK (resource_type IN ('experiment', 'registered_model', 'webhook')),
  resource_id   text NOT NULL,
  permission    text NOT NULL CHECK (permission IN ('NO_PERMISSIONS', 'READ', 'EDIT', 'MANAGE')),
  PRIMARY KEY (group_name, resource_type, resource_id)
);
CREATE INDEX group_grants_resource ON identity.group_grants (resource_type, resource_id);

-- Machine tokens: `cairn_<token_id without dashes>_<secret>`. Only the secret's SHA-256 is kept (the
-- secret is 256 random bits, so a fast hash is enough; it is shown once, at creation).
CREATE TABLE identity.tokens (
  token_id      uuid        PRIMARY KEY,
  user_id       integer     NOT NULL REFERENCES identity.users (id) ON DELETE CASCADE,
  name          text        NOT NULL,
  secret_sha256 bytea       NOT NULL,
  -- [{resource_type, resource_id ('*' = any), permission}]; empty = the owner's own permissions.
  scopes        jsonb       NOT NULL DEFAULT '[]',
  -- Serving tokens may call only the routes a model load needs (aliases, versions, downloads).
  serving_only  boolean     NOT NULL DEFAULT false,
  -- Acts with its owner's admin rights (GC jobs, the bootstrap token); only an admin can mint one.
  is_admin      boolean     NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz,
  revoked_at    timestamptz,
  last_used_at  timestamptz
);
CREATE INDEX tokens_user ON identity.tokens (user_id);

-- Browser sessions (OIDC sign-in): the cookie carries a random id; only its SHA-256 is stored.
CREATE TABLE identity.sessions (
  session_sha256 bytea       PRIMARY KEY,
  user_id        integer     NOT NULL REFERENCES identity.users (id) ON DELETE CASCADE,
  csrf_token     text        NOT NULL,
  groups         text[]      NOT NULL DEFAULT '{}',
  created_at     timestamptz NOT NULL DEFAULT now(),
  expires_at     timestamptz NOT NULL
);
CREATE INDEX sessions_expires_at ON identity.sessions (expires_at);

-- An authorization-code sign-in in flight: PKCE verifier and nonce, keyed by the state parameter.
CREATE TABLE identity.login_requests (
  state         text        PRIMARY KEY,
  code_verifier text        NOT NULL,
  nonce         text        NOT NULL,
  return_to     text        NOT NULL,
  expires_at    timestamptz NOT NULL
);
