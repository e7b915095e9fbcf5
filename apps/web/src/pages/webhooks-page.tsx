import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Webhook, WebhookDelivery } from '@cairn/contracts';
import { webhooks } from '../api/endpoints';
import { Empty, ErrorMessage, Loading } from '../components/feedback';
import { formatTime } from '../components/format';
import { Link } from '../components/link';
import { useCan } from '../auth/use-can';
import type { Route } from '../routing/route';
import { navigate } from '../routing/use-route';
import { ACTIONS, DataTable } from '../components/data-table';

type WebhookRoute = Extract<Route, { page: 'webhook' }>;

/** Webhook endpoints with their health at a glance. */
export function WebhooksPage() {
  const list = useQuery({ queryKey: ['webhooks'], queryFn: () => webhooks.list() });
  const rows = list.data?.webhooks ?? [];
  return (
    <section aria-labelledby="webhooks-title">
      <h1 id="webhooks-title" tabIndex={-1}>
        Webhooks
      </h1>
      <ErrorMessage error={list.error} />
      {list.isPending ? (
        <Loading what="webhooks" />
      ) : list.error ? null : rows.length === 0 ? (
        <Empty>No webhooks. Create one with the mlflow client or the REST API (POST /api/2.0/mlflow/webhooks).</Empty>
      ) : (
        <DataTable label="Webhooks" headers={['Name', 'URL', 'Events', 'Status', 'Health']}>
          {rows.map((webhook) => (
            <tr key={webhook.webhook_id}>
              <td>
                <Link to={{ page: 'webhook', webhookId: webhook.webhook_id, delivery: '' }}>{webhook.name}</Link>
              </td>
              <td className="mono">{webhook.url}</td>
              <td>{eventsOf(webhook)}</td>
              <td>{webhook.status}</td>
              <td>
                <Health webhookId={webhook.webhook_id} />
              </td>
            </tr>
          ))}
        </DataTable>
      )}
    </section>
  );
}

function eventsOf(webhook: Webhook): string {
  return webhook.events.map((e) => `${e.entity}.${e.action}`).join(', ');
}

function failuresInARow(n: number): string {
  return n === 1 ? '1 failed delivery in a row' : `${n} failed deliveries in a row`;
}

function Health({ webhookId }: { webhookId: string }) {
  const detail = useQuery({ queryKey: ['webhook', webhookId], queryFn: () => webhooks.get(webhookId) });
  const w = detail.data?.webhook;
  if (!w) return <span className="muted">…</span>;
  if (w.consecutive_failures === 0) return <span className="status FINISHED">healthy</span>;
  return <span className="status FAILED">{failuresInARow(w.consecutive_failures)}</span>;
}

/** One endpoint: health, a test send, and its deliveries with every attempt (status, latency, response). */
export function WebhookPage({ route }: { route: WebhookRoute }) {
  const queryClient = useQueryClient();
  const detail = useQuery({ queryKey: ['webhook', route.webhookId], queryFn: () => webhooks.get(route.webhookId) });
  const deliveries = useQuery({ queryKey: ['deliveries', route.webhookId], queryFn: () => webhooks.deliveries(route.webhookId), refetchInterval: 5000 });
  const test = useMutation({
    mutationFn: () => webhooks.test(route.webhookId),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['webhook', route.webhookId] }),
  });
  const w = detail.data?.webhook;
  const rows = deliveries.data?.deliveries ?? [];
  const can = useCan();
  return (
    <section aria-labelledby="webhook-title">
      <p className="muted">
        <Link to={{ page: 'webhooks' }}>Webhooks</Link> / {route.webhookId}
      </p>
      <h1 id="webhook-title" tabIndex={-1}>
        {w?.name ?? 'Webhook'}
      </h1>
      <ErrorMessage error={detail.error} />
      {w ? (
        <dl className="facts" aria-label="Endpoint">
          <dt>URL</dt>
          <dd className="mono">{w.url}</dd>
          <dt>Status</dt>
          <dd>
            {w.status}
            {w.disabled_reason ? ` (${w.disabled_reason})` : ''}
          </dd>
          <dt>Health</dt>
          <dd>{w.consecutive_failures === 0 ? 'healthy' : failuresInARow(w.consecutive_failures)}</dd>
          <dt>Last success</dt>
          <dd>{formatTime(w.last_success_timestamp)}</dd>
          <dt>Events</dt>
          <dd>{w.event_names.join(', ') || eventsOf(w)}</dd>
          <dt>Signed</dt>
          <dd>{w.has_secret ? 'yes (a secret is set)' : 'no'}</dd>
        </dl>
      ) : null}
      {can.admin ? (
        <p>
          <button type="button" onClick={() => test.mutate()} disabled={test.isPending}>
            Send a test event
          </button>
        </p>
      ) : null}
      <ErrorMessage error={test.error} />
      {test.data ? (
        <div className="preview" role="status" aria-label="Test result" style={{ minHeight: 0 }}>
          <strong>{test.data.result.success ? 'Delivered' : 'Failed'}</strong>
          {test.data.result.response_status !== undefined ? ` · HTTP ${test.data.result.response_status}` : ''}
          {test.data.result.error_message ? ` · ${test.data.result.error_message}` : ''}
          {test.data.result.response_body ? <pre>{test.data.result.response_body}</pre> : null}
        </div>
      ) : null}
      <h2>Deliveries</h2>
      <ErrorMessage error={deliveries.error} />
      {deliveries.isPending ? (
        <Loading what="deliveries" />
      ) : rows.length === 0 ? (
        <Empty>No deliveries yet.</Empty>
      ) : (
        <DataTable label="Deliveries" headers={['Event', 'Status', 'Attempts', 'Last response', 'Created', ACTIONS]}>
          {rows.map((delivery) => (
            <DeliveryRow key={delivery.delivery_id} delivery={delivery} route={route} />
          ))}
        </DataTable>
      )}
    </section>
  );
}

function DeliveryRow({ delivery, route }: { delivery: WebhookDelivery; route: WebhookRoute }) {
  const queryClient = useQueryClient();
  const open = route.delivery === delivery.delivery_id;
  // A CI token's user may hold EDIT on one webhook: enough to redeliver its deliveries.
  const mayRedeliver = useCan()('webhook', route.webhookId, 'EDIT');
  const redeliver = useMutation({
    mutationFn: () => webhooks.redeliver(delivery.delivery_id),
    // The same delivery is queued again (PENDING) and its row follows it to its outcome.
    onSuccess: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: ['deliveries', route.webhookId] }),
        queryClient.invalidateQueries({ queryKey: ['delivery', delivery.delivery_id] }),
      ]),
  });
  return (
    <>
      <tr>
        <td>
          {delivery.entity}.{delivery.action}
          {delivery.redelivery_of ? <span className="muted"> (redelivery)</span> : null}
        </td>
        <td>
          <span className={`status ${delivery.status === 'SUCCEEDED' ? 'FINISHED' : delivery.status === 'FAILED' ? 'FAILED' : 'RUNNING'}`}>
            {delivery.status}
          </span>
        </td>
        <td>{delivery.attempts}</td>
        <td>
          {delivery.last_status_code !== undefined ? `HTTP ${delivery.last_status_code}` : ''}
          {delivery.last_error ? ` ${delivery.last_error}` : ''}
        </td>
        <td>{formatTime(delivery.created_timestamp)}</td>
        <td>
          <button
            type="button"
            aria-expanded={open}
            aria-label={`Attempts of delivery ${delivery.delivery_id}`}
            onClick={() => navigate({ ...route, delivery: open ? '' : delivery.delivery_id }, { replace: true })}
          >
            Attempts
          </button>{' '}
          {mayRedeliver ? (
            <button type="button" onClick={() => redeliver.mutate()} disabled={redeliver.isPending} aria-label={`Redeliver ${delivery.delivery_id}`}>
              Redeliver
            </button>
          ) : null}
          <ErrorMessage error={redeliver.error} />
        </td>
      </tr>
      {open ? (
        <tr>
          <td colSpan={6}>
            <Attempts deliveryId={delivery.delivery_id} />
          </td>
        </tr>
      ) : null}
    </>
  );
}

function Attempts({ deliveryId }: { deliveryId: string }) {
  const detail = useQuery({ queryKey: ['delivery', deliveryId], queryFn: () => webhooks.delivery(deliveryId) });
  if (detail.isPending) return <Loading what="attempts" />;
  if (detail.error) return <ErrorMessage error={detail.error} />;
  const attempts = detail.data.delivery.attempt_log ?? [];
  if (attempts.length === 0) return <p className="muted">Not attempted yet.</p>;
  return (
    <DataTable label={`Attempts of ${deliveryId}`} headers={['#', 'Outcome', 'Status', 'Latency', 'Started', 'Error', 'Response (excerpt)']}>
      {attempts.map((a) => (
        <tr key={a.attempt}>
          <td>{a.attempt}</td>
          <td>{a.outcome}</td>
          <td>{a.status_code ?? '—'}</td>
          <td>{a.duration_ms} ms</td>
          <td>{formatTime(a.started_timestamp)}</td>
          <td>{a.error ?? ''}</td>
          <td className="mono">{a.response_body?.slice(0, 300) ?? ''}</td>
        </tr>
      ))}
    </DataTable>
  );
}
