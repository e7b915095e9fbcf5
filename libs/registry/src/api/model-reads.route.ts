import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import {
  fromQuery,
  type GetLatestVersionsResponse,
  type GetModelVersionDownloadUriResponse,
  type GetModelVersionResponse,
  type GetRegisteredModelResponse,
  type RouteAccess,
} from '@cairn/contracts';
import { ACCESS_GATE, replyWithMlflowError, toMlflowError, type AccessGate } from '@cairn/platform';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ModelReadCache } from '../application/model-read-cache';
import { RegistryQueries } from '../application/registry-queries';
import { canonicalStage, validateVersion } from '../domain/validation';
import { parseRequest, schemas as s } from './dto';
import { MODEL_READS_ACCESS } from './registry.access';
import { modelVersionJson, registeredModelJson } from './wire';

/** MLflow's registry API is served under both prefixes (the UI uses the second). */
const PREFIXES = ['/api/2.0/mlflow', '/ajax-api/2.0/mlflow'] as const;

/** An answer as sent: status and body serialised once, when it was read. */
interface Answer {
  status: number;
  json: string;
}

/** One read: which model it is about, the cache key of the answer within that model, and how to read it. */
interface Read {
  name: string;
  key: string;
  answer(): Promise<object>;
}

interface ModelRead {
  method: 'GET' | 'POST';
  /** Under each of PREFIXES. */
  path: string;
  access: RouteAccess;
  /** Parses and validates the request (a 400 here is not cached) into the read it asks for. */
  read(request: FastifyRequest, queries: RegistryQueries): Read;
}

const queryOf = (request: FastifyRequest, lists: string[] = []) => fromQuery(request.query, lists);

/**
 * The registry reads a model load makes — `mlflow.pyfunc.load_model("models:/churn@champion")`
 * reads the model, the alias and the version's download URI; `models:/churn/Production` the
 * latest versions — as serving pods make them by the thousand. They are MLflow's own routes, so
 * they answer exactly what the controller's writes return, but from the registry's read cache.
 */
export const MODEL_READS: readonly ModelRead[] = [
  {
    method: 'GET',
    path: 'registered-models/get',
    access: MODEL_READS_ACCESS.getRegisteredModel,
    read: (request, queries) => {
      const { name } = parseRequest(s.name, queryOf(request));
      return {
        name,
        key: 'model',
        answer: async (): Promise<GetRegisteredModelResponse> => ({ registered_model: registeredModelJson(await queries.registeredModel(name)) }),
      };
    },
  },
  {
    method: 'GET',
    path: 'registered-models/alias',
    access: MODEL_READS_ACCESS.getModelVersionByAlias,
    read: (request, queries) => {
      const { name, alias } = parseRequest(s.alias, queryOf(request));
      return {
        name,
        key: `alias\u0000${alias}`,
        answer: async (): Promise<GetModelVersionResponse> => ({ model_version: modelVersionJson(await queries.versionByAlias(name, alias)) }),
      };
    },
  },
  {
    method: 'GET',
    path: 'model-versions/get',
    access: MODEL_READS_ACCESS.getModelVersion,
    read: (request, queries) => {
      const dto = parseRequest(s.version, queryOf(request));
      const version = validateVersion(dto.version);
      return {
        name: dto.name,
        key: `version\u0000${version}`,
        answer: async (): Promise<GetModelVersionResponse> => ({ model_version: modelVersionJson(await queries.modelVersion(dto.name, version)) }),
      };
    },
  },
  {
    method: 'GET',
    path: 'model-versions/get-download-uri',
    access: MODEL_READS_ACCESS.getDownloadUri,
    read: (request, queries) => {
      const dto = parseRequest(s.version, queryOf(request));
      const version = validateVersion(dto.version);
      return {
        name: dto.name,
        key: `download\u0000${version}`,
        answer: async (): Promise<GetModelVersionDownloadUriResponse> => ({
          artifact_uri: await queries.downloadUriOf(await queries.modelVersion(dto.name, version)),
        }),
      };
    },
  },
  // The client POSTs first and only falls back to GET on ENDPOINT_NOT_FOUND; both are served.
  ...(['POST', 'GET'] as const).map((method): ModelRead => ({
    method,
    path: 'registered-models/get-latest-versions',
    access: method === 'POST' ? MODEL_READS_ACCESS.getLatestVersionsPost : MODEL_READS_ACCESS.getLatestVersionsGet,
    read: (request, queries) => {
      const dto = parseRequest(s.getLatestVersions, method === 'POST' ? request.body : queryOf(request, ['stages']));
      const stages = dto.stages.map(canonicalStage);
      return {
        name: dto.name,
        key: `latest\u0000${stages.join(',')}`,
        answer: async (): Promise<GetLatestVersionsResponse> => {
          const versions = await queries.latestVersions(dto.name, stages);
          return versions.length > 0 ? { model_versions: versions.map(modelVersionJson) } : {};
        },
      };
    },
  })),
];

/** Every method and path MODEL_READS serves (for the ingress path table and the access matrix). */
export const MODEL_READ_ROUTES = MODEL_READS.flatMap((r) => PREFIXES.map((prefix) => ({ method: r.method, path: `${prefix}/${r.path}`, access: r.access })));

/**
 * Registers MODEL_READS as plain Fastify routes (not Nest handlers): a cached answer is one Map
 * lookup and a pre-serialised body, which is what lets the route keep up with the resolve route.
 * Not-found answers are cached too (a pod polling a model not registered yet), server errors never.
 */
@Injectable()
export class ModelReadRoutes implements OnModuleInit {
  constructor(
    @Inject(HttpAdapterHost) private readonly host: HttpAdapterHost,
    @Inject(RegistryQueries) private readonly queries: RegistryQueries,
    @Inject(ModelReadCache) private readonly cache: ModelReadCache,
    @Inject(ACCESS_GATE) private readonly gate: AccessGate,
  ) {}

  onModuleInit(): void {
    const adapter = this.host.httpAdapter;
    if (!adapter) return; // a standalone application context (tests): no HTTP server
    const fastify = adapter.getInstance<FastifyInstance>();
    for (const read of MODEL_READS)
      for (const prefix of PREFIXES)
        fastify.route({ method: read.method, url: `${prefix}/${read.path}`, handler: (request, reply) => this.handle(read, request, reply) });
  }

  private async handle(route: ModelRead, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    try {
      // Not a Nest route, so the identity guard does not run by itself: the same check, explicitly.
      await this.gate.admit(request, reply, route.access);
      const read = route.read(request, this.queries);
      const answer = await this.cache.get(read.name, read.key, () => this.answer(read));
      await reply.status(answer.status).header('content-type', 'application/json; charset=utf-8').send(answer.json);
    } catch (error) {
      replyWithMlflowError(reply, error);
    }
  }

  /** The read's answer, a client error included; a server error is thrown so that it is not cached. */
  private async answer(read: Read): Promise<Answer> {
    try {
      return { status: 200, json: JSON.stringify(await read.answer()) };
    } catch (error) {
      const { status, body } = toMlflowError(error);
      if (status >= 500) throw error;
      return { status, json: JSON.stringify(body) };
    }
  }
}
