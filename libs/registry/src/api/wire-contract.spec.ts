import type { z } from 'zod';
import type {
  CreateModelVersionRequest,
  CreateRegisteredModelRequest,
  GetLatestVersionsRequest,
  ModelVersionRequest,
  PromoteRequest,
  RegisteredModelAliasRequest,
  RegisteredModelNameRequest,
  SetRegisteredModelAliasRequest,
  TransitionModelVersionStageRequest,
} from '@cairn/contracts';
import { unreadFields } from '@cairn/testing';
import { parseRequest, schemas as s } from './dto';

/**
 * The SDK builds its request bodies as `@cairn/contracts`' request types; these samples fill every
 * field of those types (`Required<…>`, so a field added to a contract must be added here) and check
 * that the registry's schema reads each one.
 */
const tags = [{ key: 'k', value: 'v' }];

const samples: [string, z.ZodType, object][] = [
  ['createRegisteredModel', s.createRegisteredModel, { name: 'm', description: 'd', tags } satisfies Required<CreateRegisteredModelRequest>],
  ['name', s.name, { name: 'm' } satisfies Required<RegisteredModelNameRequest>],
  [
    'createModelVersion',
    s.createModelVersion,
    {
      name: 'm',
      source: 'mlflow-artifacts:/0/r/artifacts/model',
      run_id: 'r',
      tags,
      run_link: 'http://ci/1',
      description: 'd',
      model_id: 'm-1',
    } satisfies Required<CreateModelVersionRequest>,
  ],
  ['version', s.version, { name: 'm', version: '1' } satisfies Required<ModelVersionRequest>],
  ['getLatestVersions', s.getLatestVersions, { name: 'm', stages: ['Production'] } satisfies Required<GetLatestVersionsRequest>],
  [
    'transitionStage',
    s.transitionStage,
    { name: 'm', version: '1', stage: 'Staging', archive_existing_versions: true } satisfies Required<TransitionModelVersionStageRequest>,
  ],
  ['setAlias', s.setAlias, { name: 'm', alias: 'champion', version: '1' } satisfies Required<SetRegisteredModelAliasRequest>],
  ['alias', s.alias, { name: 'm', alias: 'champion' } satisfies Required<RegisteredModelAliasRequest>],
  [
    'promote',
    s.promote,
    {
      name: 'm',
      challenger: 'challenger',
      metric: 'val_auc',
      min_delta: 0.01,
      direction: 'higher_is_better',
      stage: 'Production',
      alias: 'champion',
      archive_existing_versions: false,
    } satisfies Required<PromoteRequest>,
  ],
];

describe("the registry's request schemas read every field of the contracts' request bodies", () => {
  it.each(samples)('%s', (_name, schema, sample) => {
    expect(unreadFields(sample, parseRequest(schema, sample))).toEqual([]);
  });
});
