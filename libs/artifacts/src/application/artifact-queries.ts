import type { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { invalidParameter, notFound, scopeIncludes, type ReadScope, isLoggedModelId, isRunId } from '@cairn/contracts';
import { joinArtifactPath, normaliseArtifactPath, type BlobStore } from '@cairn/blobstore';
import { locateUserPath, resolveSource } from '../domain/artifact-location';
import { decideRange, type RangeDecision } from '../domain/byte-range';
import type { RetentionPolicy } from '../domain/retention';
import { ArtifactRepository } from '../infra/artifact-repository';
import type { ReadableFile, Usage } from './views';
import { ARTIFACT_BLOB_STORE } from './ports';

export interface ArtifactDownload {
  file: ReadableFile;
  range: RangeDecision;
  /** Absent when the range is unsatisfiable, or the bytes were not wanted. */
  body?: Readable;
}

/** What an HTTP download asks for: a `Range` header, and whether the bytes at all (a HEAD does not). */
export interface DownloadRequest {
  range: string | undefined;
  withBody: boolean;
}

/** Not a logged model id: MLflow's store answers such an id as an unknown model. */
function checkLoggedModelId(modelId: string): void {
  if (!isLoggedModelId(modelId)) throw notFound(`Logged model with ID '${modelId.slice(0, 64)}' not found.`);
}

/** An owner's artifacts as tracking's `artifacts/list` answers (owner-relative paths, `root_uri`). */
export interface OwnerListing {
  rootUri?: string;
  files: Array<{ path: string; is_dir: boolean; file_size?: number }>;
}

/** The read side: listing from the path index, downloads streamed from the blob store. */
@Injectable()
export class ArtifactQueries {
  constructor(
    @Inject(ArtifactRepository) private readonly repository: ArtifactRepository,
    @Inject(ARTIFACT_BLOB_STORE) private readonly blobs: BlobStore,
  ) {}

  /**
   * MLflow's proxied listing: basenames of the immediate children; a missing directory lists as nothing.
   * The root's children are experiment directories: only those the caller may read (`readable`) are
   * listed. Deeper paths lie inside one experiment, whose permission the API edge checked.
   */
  async list(userPath: string | undefined, readable: ReadScope): Promise<Array<{ path: string; is_dir: boolean; file_size?: number }>> {
    const directory = normaliseArtifactPath(userPath ?? '', { allowRoot: true });
    const listed = await this.repository.listChildren(directory);
    const children = directory === '' ? listed.filter((c) => scopeIncludes(readable, c.name)) : listed;
    return children.map((c) => (c.isDir ? { path: c.name, is_dir: true } : { path: c.name, is_dir: false, file_size: c.fileSize ?? 0 }));
  }

  async download(userPath: string, request: DownloadRequest): Promise<ArtifactDownload> {
    const location = locateUserPath(userPath);
    const file = await this.repository.findFile(location.path);
    if (!file) throw notFound(`Artifact '${location.path}' does not exist.`);
    return this.open(file, request);
  }

  /** The UI's `/get-artifact?run_uuid=&path=`: a file of a run, found by the run id in the index. */
  async downloadRunArtifact(runId: string, userPath: string, request: DownloadRequest): Promise<ArtifactDownload> {
    if (!isRunId(runId)) throw invalidParameter(`Invalid run id '${runId.slice(0, 64)}'.`);
    const relative = normaliseArtifactPath(userPath);
    const file = await this.repository.findOwnerFile(runId, relative);
    if (!file) throw notFound(`Artifact '${relative}' of run '${runId}' does not exist.`);
    return this.open(file, request);
  }

  /** MLflow 3's `logged-models/{id}/artifacts/files?artifact_file_path=`: a file of a logged model. */
  async downloadLoggedModelArtifact(modelId: string, userPath: string, request: DownloadRequest): Promise<ArtifactDownload> {
    checkLoggedModelId(modelId);
    const relative = normaliseArtifactPath(userPath);
    const file = await this.repository.findOwnerFile(modelId, relative);
    if (!file) throw notFound(`No such artifact: '${relative}' of logged model '${modelId}'.`);
    return this.open(file, request);
  }

  /** The UI's `/model-versions/get-artifact?name=&version=&path=`, through the version's source. */
  async downloadModelVersionArtifact(name: string, version: string, userPath: string, request: DownloadRequest): Promise<ArtifactDownload> {
    const relative = normaliseArtifactPath(userPath);
    const source = await this.repository.modelVersionSource(name, version);
    if (source === undefined) throw notFound(`Model version '${name}' version '${version}' is not known to the artifact service (yet).`);
    const where = resolveSource(source);
    const file =
      where.kind === 'path'
        ? await this.repository.findFile(joinArtifactPath(where.root, relative))
        : await this.repository.findOwnerFile(where.ownerId, joinArtifactPath(where.prefix, relative));
    if (!file) throw notFound(`Artifact '${relative}' of model '${name}' version '${version}' does not exist.`);
    return this.open(file, request);
  }

  /**
   * A run's artifacts as tracking's `artifacts/list` answers (run-relative paths, `root_uri`), for
   * the tracking API and the UI: they cannot read this context's tables. Known from the index only,
   * so a run without artifacts lists as nothing.
   */
  listRun(runId: string, userPath: string | undefined, inExperiment?: string): Promise<OwnerListing> {
    if (!isRunId(runId)) throw invalidParameter(`Invalid run id '${runId.slice(0, 64)}'.`);
    return this.listOwner(runId, (experimentId) => `${experimentId}/${runId}/artifacts`, userPath, inExperiment);
  }

  /** MLflow 3's `logged-models/{id}/artifacts/directories`: as `listRun`, below the model's root. */
  listLoggedModel(modelId: string, userPath: string | undefined): Promise<OwnerListing> {
    checkLoggedModelId(modelId);
    return this.listOwner(modelId, (experimentId) => `${experimentId}/models/${modelId}/artifacts`, userPath);
  }

  /**
   * `inExperiment`: list only what is filed under that experiment (a caller that checked access to
   * one experiment must not be shown files someone filed under the same owner id in another).
   */
  private async listOwner(
    ownerId: string,
    rootIn: (experimentId: string) => string,
    userPath: string | undefined,
    inExperiment?: string,
  ): Promise<OwnerListing> {
    const relative = normaliseArtifactPath(userPath ?? '', { allowRoot: true });
    const experiments = await this.repository.experimentsOfOwner(this.repository.pool, ownerId);
    const experimentId = inExperiment === undefined ? experiments[0] : experiments.find((e) => e === inExperiment);
    if (experimentId === undefined) return { files: [] };
    const root = rootIn(experimentId);
    const children = await this.repository.listChildren(joinArtifactPath(root, relative));
    return {
      rootUri: `mlflow-artifacts:/${root}`,
      files: children.map((c) => {
        const path = joinArtifactPath(relative, c.name);
        return c.isDir ? { path, is_dir: true } : { path, is_dir: false, file_size: c.fileSize ?? 0 };
      }),
    };
  }

  usageOfRun(runId: string): Promise<Usage> {
    if (!isRunId(runId)) throw invalidParameter(`Invalid run id '${runId.slice(0, 64)}'.`);
    return this.repository.usageOfRun(runId);
  }

  usageOfExperiment(experimentId: string): Promise<Usage> {
    if (!/^\d+$/.test(experimentId)) throw invalidParameter(`Invalid experiment id '${experimentId.slice(0, 64)}'.`);
    return this.repository.usageOfExperiment(experimentId);
  }

  quotaOf(experimentId: string): Promise<number | undefined> {
    return this.repository.quotaOf(experimentId);
  }

  policiesOf(experimentId: string): Promise<RetentionPolicy[]> {
    return this.repository.policiesOf(experimentId);
  }

  /** Size and digest come from the index: the blob is opened only when its bytes are sent. */
  private async open(file: ReadableFile, request: DownloadRequest): Promise<ArtifactDownload> {
    const range = decideRange(request.range, file.size);
    if (range.kind === 'unsatisfiable' || !request.withBody) return { file, range };
    const body = await this.blobs.get(file.storageKey, range.kind === 'partial' ? { start: range.start, end: range.end } : undefined);
    return { file, range, body };
  }
}
