import { type GraphqlResponse } from '@cairn/contracts';
import { Body, Controller, Get, HttpCode, Inject, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AccessRules, accessOf } from '@cairn/platform';
import { MlflowGraphql, type GraphqlRequest } from '../application/mlflow-graphql';
import { GRAPHQL_ACCESS } from './graphql.access';

const asRequest = (value: unknown): GraphqlRequest => (value !== null && typeof value === 'object' ? (value as GraphqlRequest) : { query: undefined });

/**
 * MLflow's `/graphql` (its UI posts to it relative to the page, so also under `/ajax-api/`). Every
 * answer is 200 with `{data, errors}`, as MLflow answers, failures included.
 */
@Controller()
@AccessRules(GRAPHQL_ACCESS)
export class GraphqlController {
  constructor(@Inject(MlflowGraphql) private readonly graphql: MlflowGraphql) {}

  @Post(['graphql', 'ajax-api/graphql'])
  @HttpCode(200)
  query(@Body() body: unknown, @Req() req: FastifyRequest): Promise<GraphqlResponse> {
    return this.graphql.execute(asRequest(body), accessOf(req));
  }

  /**
   * MLflow registers GET too (and answers it with a 500); here it runs queries from the URL, with
   * `variables` as JSON. Mutations are refused over GET: MLflow's are searches, but a GET must not
   * be one a page can trigger by an image tag.
   */
  @Get(['graphql', 'ajax-api/graphql'])
  queryByUrl(@Query() params: unknown, @Req() req: FastifyRequest): Promise<GraphqlResponse> {
    const { query, variables, operationName } = asRequest(params) as { query?: unknown; variables?: unknown; operationName?: unknown };
    let parsed: unknown;
    try {
      parsed = typeof variables === 'string' ? JSON.parse(variables) : undefined;
    } catch {
      return Promise.resolve({ data: null, errors: ['Variables are invalid JSON.'] });
    }
    return this.graphql.execute({ query, variables: parsed, operationName }, accessOf(req), { queriesOnly: true });
  }
}
