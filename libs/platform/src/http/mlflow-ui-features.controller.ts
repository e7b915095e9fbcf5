import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { AUTHENTICATED, type AccessTable } from '@cairn/contracts';
import { AccessRules } from './access-rules';

/** Signed-in callers, as behind MLflow's auth: these say nothing about any resource. */
const MLFLOW_UI_FEATURES_ACCESS: AccessTable<MlflowUiFeaturesController> = {
  telemetryConfig: AUTHENTICATED,
  telemetryRecords: AUTHENTICATED,
  assistantConfig: AUTHENTICATED,
  assistantProviders: AUTHENTICATED,
  gatewayProxy: AUTHENTICATED,
  gatewayProxyPost: AUTHENTICATED,
  searchEvaluationDatasets: AUTHENTICATED,
  listScorers: AUTHENTICATED,
};

/**
 * Routes MLflow 3.18's web UI calls on most pages for features Cairn does not have (UI telemetry,
 * the AI assistant, the deployments gateway), answered as `mlflow server` answers them with those
 * features off, so the UI hides them instead of raising error toasts; and the GenAI evaluation
 * datasets and scorers its traces pages list, which Cairn does not store: an empty list, as MLflow
 * answers for an experiment without any. Cited from mlflow/server:
 * handlers.py `get_ui_telemetry_handler` / `post_ui_telemetry_handler` (telemetry disabled),
 * assistant/api.py `get_config` / `get_providers` (no provider), `gateway_proxy_handler` (no
 * MLFLOW_DEPLOYMENTS_TARGET).
 */
@Controller()
@AccessRules(MLFLOW_UI_FEATURES_ACCESS)
export class MlflowUiFeaturesController {
  /** `FALLBACK_UI_CONFIG`: telemetry off, nothing sampled. */
  @Get('ajax-api/3.0/mlflow/ui-telemetry')
  telemetryConfig() {
    return { disable_ui_telemetry: true, disable_ui_events: [], ui_rollout_percentage: 0 };
  }

  /** Records are dropped unread; "disabled" tells the UI to stop sending them. */
  @Post('ajax-api/3.0/mlflow/ui-telemetry')
  @HttpCode(200)
  telemetryRecords() {
    return { status: 'disabled' };
  }

  /** `ConfigResponse` with no provider configured; settings are not editable through Cairn. */
  @Get('ajax-api/3.0/mlflow/assistant/config')
  assistantConfig() {
    return { providers: {}, projects: {}, remote_access_allowed: false, can_edit_server_settings: false };
  }

  /** `ProvidersResponse` with no provider at all (none runs beside Cairn). */
  @Get('ajax-api/3.0/mlflow/assistant/providers')
  assistantProviders() {
    return { providers: [], resolved: null, gateway_vendor_options: {} };
  }

  /** No deployments target: MLflow answers every proxied call, GET or POST, with no endpoints. */
  @Get('ajax-api/2.0/mlflow/gateway-proxy')
  gatewayProxy() {
    return { endpoints: [] };
  }

  @Post('ajax-api/2.0/mlflow/gateway-proxy')
  @HttpCode(200)
  gatewayProxyPost() {
    return this.gatewayProxy();
  }

  /** `SearchEvaluationDatasets` with none stored: `{}`. */
  @Post(['api/3.0/mlflow/datasets/search', 'ajax-api/3.0/mlflow/datasets/search'])
  @HttpCode(200)
  searchEvaluationDatasets() {
    return {};
  }

  /** `ListScorers` with none registered: `{}`. */
  @Get(['api/3.0/mlflow/scorers/list', 'ajax-api/3.0/mlflow/scorers/list'])
  listScorers() {
    return {};
  }
}
