import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query } from '@nestjs/common';
import type {
  GetCairnWebhookResponse,
  GetWebhookDeliveryResponse,
  GetWebhookResponse,
  ListWebhookDeliveriesResponse,
  ListWebhooksResponse,
  TestWebhookResponse,
} from '@cairn/contracts';
import { AccessRules } from '@cairn/platform';
import { WebhookCommands } from '../application/webhook-commands';
import { parseRequest, required, schemas as s } from './dto';
import { CAIRN_WEBHOOKS_ACCESS, MLFLOW_WEBHOOKS_ACCESS } from './webhooks.access';
import { attemptJson, cairnWebhookJson, deliveryJson, mlflowWebhookJson, testResultJson } from './wire';

/** MLflow 3.3+'s webhook API (webhooks.proto, mlflow-api.md §6), so `MlflowClient.create_webhook` works. */
@Controller(['api/2.0/mlflow/webhooks', 'ajax-api/2.0/mlflow/webhooks'])
@AccessRules(MLFLOW_WEBHOOKS_ACCESS)
export class MlflowWebhooksController {
  constructor(@Inject(WebhookCommands) private readonly commands: WebhookCommands) {}

  @Post()
  @HttpCode(200)
  async create(@Body() body: unknown): Promise<GetWebhookResponse> {
    return { webhook: mlflowWebhookJson(await this.commands.create(parseRequest(s.webhook, body))) };
  }

  @Get()
  async list(@Query() query: unknown): Promise<ListWebhooksResponse> {
    const dto = parseRequest(s.list, query);
    const page = await this.commands.list(dto.max_results, dto.page_token);
    return { webhooks: page.webhooks.map(mlflowWebhookJson), ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}) };
  }

  @Get(':webhook_id')
  async get(@Param('webhook_id') webhookId: string): Promise<GetWebhookResponse> {
    return { webhook: mlflowWebhookJson(await this.commands.get(webhookId)) };
  }

  @Patch(':webhook_id')
  async update(@Param('webhook_id') webhookId: string, @Body() body: unknown): Promise<GetWebhookResponse> {
    return { webhook: mlflowWebhookJson(await this.commands.update(webhookId, parseRequest(s.webhook, body))) };
  }

  @Delete(':webhook_id')
  async delete(@Param('webhook_id') webhookId: string) {
    await this.commands.delete(webhookId);
    return {};
  }

  @Post(':webhook_id/test')
  @HttpCode(200)
  async test(@Param('webhook_id') webhookId: string, @Body() body: unknown): Promise<TestWebhookResponse> {
    const dto = parseRequest(s.test, body);
    return { result: testResultJson(await this.commands.test(webhookId, dto.event)) };
  }
}

/** Cairn's additions: endpoint health and the delivery log, with manual redelivery. */
@Controller(['api/2.0/cairn/webhooks', 'ajax-api/2.0/cairn/webhooks'])
@AccessRules(CAIRN_WEBHOOKS_ACCESS)
export class CairnWebhooksController {
  constructor(@Inject(WebhookCommands) private readonly commands: WebhookCommands) {}

  @Get('get')
  async get(@Query() query: unknown): Promise<GetCairnWebhookResponse> {
    const dto = parseRequest(s.webhookId, query);
    return { webhook: cairnWebhookJson(await this.commands.get(required(dto.webhook_id, 'webhook_id'))) };
  }

  @Get('deliveries')
  async deliveries(@Query() query: unknown): Promise<ListWebhookDeliveriesResponse> {
    const dto = parseRequest(s.deliveries, query);
    const page = await this.commands.deliveries({ webhookId: dto.webhook_id, status: dto.status, maxResults: dto.max_results, pageToken: dto.page_token });
    return { deliveries: page.deliveries.map(deliveryJson), ...(page.nextPageToken ? { next_page_token: page.nextPageToken } : {}) };
  }

  @Get('deliveries/get')
  async delivery(@Query() query: unknown): Promise<GetWebhookDeliveryResponse> {
    const dto = parseRequest(s.delivery, query);
    const { delivery, attempts } = await this.commands.delivery(required(dto.delivery_id, 'delivery_id'));
    return { delivery: { ...deliveryJson(delivery), attempt_log: attempts.map(attemptJson) } };
  }

  @Post('deliveries/redeliver')
  @HttpCode(200)
  async redeliver(@Body() body: unknown): Promise<GetWebhookDeliveryResponse> {
    const dto = parseRequest(s.delivery, body);
    return { delivery: deliveryJson(await this.commands.redeliver(required(dto.delivery_id, 'delivery_id'))) };
  }
}
