import type { ModelStage } from '../events/registry';

/**
 * Body of `GET /api/2.0/cairn/registered-models/alias/resolve`: what an alias points at. The
 * registry serves it and the SDK's alias watchers read it, so both take it from here.
 */
export interface AliasResolution {
  name: string;
  alias: string;
  version: string;
  run_id?: string;
  model_id?: string;
  source: string;
  artifact_uri: string;
  current_stage: ModelStage;
}
