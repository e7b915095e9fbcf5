import { readFileSync } from 'node:fs';
import { Controller, Get, Header, Inject, Module, Res, ServiceUnavailableException, type DynamicModule } from '@nestjs/common';
import { PUBLIC, type AccessTable } from '@cairn/contracts';
import type { FastifyReply } from 'fastify';
import { HealthCheck, HealthCheckService, type HealthIndicatorResult, TerminusModule, HealthIndicatorService } from '@nestjs/terminus';
import { findUp } from '../database/migrator';
import { MetricsRegistry } from '../observability/metrics';
import { AccessRules } from './access-rules';
import { MlflowUiFeaturesController } from './mlflow-ui-features.controller';

/** Something `/health/ready` must be able to reach: the database, the bus, the blob store. */
export interface ReadinessProbe {
  name: string;
  /** Resolves, with details for the report if it has any, when the dependency answers. */
  check(): Promise<void | Record<string, unknown>>;
  /**
   * false → the service keeps working while it is away (Kafka: the outbox keeps the events until
   * it is back), so a failure is reported (`reachable: false`) but leaves the service ready, and the
   * probe is given less time, to answer within the kubelet's default 1 s. true by default.
   */
  required?: boolean;
}

export const READINESS_PROBES = Symbol('ReadinessProbes');
export const CAIRN_VERSION: string = (() => {
  try {
    return (JSON.parse(readFileSync(findUp('package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
})();

// MLflow's reported version: clients compare it for feature gates, so report the line we mirror.
const MLFLOW_COMPATIBLE_VERSION = '3.18.0';
const PROBE_TIMEOUT_MS = 3000;
const OPTIONAL_PROBE_TIMEOUT_MS = 500;

/** Probes, version and metrics answer anyone: load balancers and Prometheus carry no credentials. */
const SYSTEM_ACCESS: AccessTable<SystemController> = {
  liveness: PUBLIC,
  readiness: PUBLIC,
  version: PUBLIC,
  prometheus: PUBLIC,
  serverInfo: PUBLIC,
};

@Controller()
@AccessRules(SYSTEM_ACCESS)
export class SystemController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(HealthIndicatorService) private readonly indicators: HealthIndicatorService,
    @Inject(READINESS_PROBES) private readonly probes: ReadinessProbe[],
    @Inject(MetricsRegistry) private readonly metrics: MetricsRegistry,
  ) {}

  /** Liveness: the process answers. MLflow's server answers `OK` as text. */
  @Get('health')
  @Header('content-type', 'text/plain; charset=utf-8')
  liveness(): string {
    return 'OK';
  }

  /** Readiness: every dependency answers. 503 with terminus's per-dependency report otherwise. */
  @Get('health/ready')
  @HealthCheck()
  async readiness(@Res({ passthrough: true }) reply: FastifyReply) {
    try {
      return await this.health.check(this.probes.map((probe) => () => this.runProbe(probe)));
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      void reply.status(503);
      return error.getResponse();
    }
  }

  @Get('version')
  @Header('content-type', 'text/plain; charset=utf-8')
  version(): string {
    return MLFLOW_COMPATIBLE_VERSION;
  }

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  prometheus(): Promise<string> {
    return this.metrics.registry.metrics();
  }

  /**
   * Read by 3.x clients (3 s timeout, no retries) and MLflow's UI to discover optional capabilities,
   * without login. MLflow 3.18's `build_server_info_payload` fields, saying what Cairn serves: the
   * artifact proxy (`artifact_serving_enabled`); no presigned transfers (the presigned-URL route
   * answers 501), no multipart, no workspaces, no trace archival, no skills (the skill limits are
   * left out, as MLflow does when it cannot tell them), no AI gateway or scheduled issue detection.
   */
  @Get(['api/3.0/mlflow/server-info', 'ajax-api/3.0/mlflow/server-info'])
  serverInfo() {
    return {
      store_type: 'SqlStore',
      workspaces_enabled: false,
      trace_archival_enabled: false,
      multipart_uploads_enabled: false,
      multipart_downloads_enabled: false,
      artifact_serving_enabled: true,
      presigned_upload_run_id_supported: false,
      presigned_upload_model_id_supported: false,
      model_artifact_presigned_downloads_supported: false,
      features_enabled: { gateway: false, scheduled_issue_detection: false },
      tracking_auth: '',
      artifacts_presigned_only: false,
      cairn_version: CAIRN_VERSION,
    };
  }

  private async runProbe(probe: ReadinessProbe): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check(probe.name);
    const required = probe.required ?? true;
    const timeoutMs = required ? PROBE_TIMEOUT_MS : OPTIONAL_PROBE_TIMEOUT_MS;
    try {
      const details = await Promise.race([
        probe.check(),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs).unref()),
      ]);
      return indicator.up(details ?? undefined);
    } catch (error) {
      const message = (error as Error).message;
      return required ? indicator.down({ message }) : indicator.up({ reachable: false, message });
    }
  }
}

/** `/health`, `/health/ready`, `/version`, `/metrics` and server-info, shared by every service. */
@Module({})
export class SystemModule {
  static forRoot(probes: ReadinessProbe[]): DynamicModule {
    return {
      module: SystemModule,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [SystemController, MlflowUiFeaturesController],
      providers: [{ provide: READINESS_PROBES, useValue: probes }],
    };
  }
}
