import { Module } from '@nestjs/common';
import { createHttpApp, Database, JsonLogger, listen, loadConfig, MetricsRegistry, PlatformModule } from '@cairn/platform';
import { IdentityModule } from '../identity.module';

export interface IdentityServer {
  url: string;
  stop(): Promise<void>;
}

/**
 * The identity context alone behind HTTP, on a migrated database, in this process: what every
 * service runs in front of its own routes (the runtime adds the contexts; it cannot be imported from
 * here, since it imports identity). `env` is the server's environment (CAIRN_AUTH, CAIRN_OIDC_*…).
 */
export async function startIdentityServer(env: Record<string, string>): Promise<IdentityServer> {
  const config = loadConfig({ CAIRN_SERVICE_NAME: 'identity-test', CAIRN_PORT: '0', CAIRN_LOG_LEVEL: 'silent', ...env }, { embeddedDefaults: true });
  if (config.databaseUrl === undefined) throw new Error('startIdentityServer needs CAIRN_DATABASE_URL');
  const database = new Database(config.databaseUrl);
  const metrics = new MetricsRegistry(config.serviceName);

  @Module({ imports: [PlatformModule.forRoot({ config, database, metrics }), IdentityModule] })
  class IdentityServerModule {}

  const app = await createHttpApp(IdentityServerModule, { logger: new JsonLogger(config), metrics });
  try {
    const url = await listen(app, config);
    return {
      url,
      stop: async () => {
        await app.close();
        await database.close();
      },
    };
  } catch (error) {
    await app.close();
    await database.close();
    throw error;
  }
}
