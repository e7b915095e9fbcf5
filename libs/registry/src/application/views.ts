import type { ModelStage } from '@cairn/contracts';

/** A model version as the read model holds it (application and api speak this, never rows). */
export interface ModelVersionView {
  modelId: string;
  name: string;
  version: string;
  creationTimestamp: number;
  lastUpdatedTimestamp: number;
  userId: string | null;
  currentStage: ModelStage;
  description: string | null;
  source: string;
  runId: string | null;
  runLink: string | null;
  loggedModelId: string | null;
  status: string;
  tags: Array<{ key: string; value: string }>;
  aliases: string[];
}

export interface RegisteredModelView {
  modelId: string;
  name: string;
  creationTimestamp: number;
  lastUpdatedTimestamp: number;
  description: string | null;
  tags: Array<{ key: string; value: string }>;
  aliases: Array<{ alias: string; version: string }>;
  latestVersions: ModelVersionView[];
}

export interface Page<T> {
  items: T[];
  nextPageToken: string | undefined;
}

export interface SearchInput {
  filter?: string | undefined;
  orderBy?: string[] | undefined;
  pageToken?: string | undefined;
  maxResults?: number | undefined;
}
