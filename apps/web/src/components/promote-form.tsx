import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { PromotionDecision } from '@cairn/contracts';
import { models } from '../api/endpoints';
import { ErrorMessage } from './feedback';
import { formatValue } from './format';

/**
 * Promote a challenger: the server compares the challenger's final metric with the current
 * holder's (of an alias, or of a stage) and moves it only when it is better; its decision record
 * (promoted or not, why, both values) is shown as it comes.
 */
export function PromoteForm({ name, versions }: { name: string; versions: string[] }) {
  const queryClient = useQueryClient();
  const [challenger, setChallenger] = useState('');
  const [metric, setMetric] = useState('');
  const [direction, setDirection] = useState<'higher_is_better' | 'lower_is_better'>('higher_is_better');
  const [alias, setAlias] = useState('champion');
  const chosen = challenger || versions[0] || '';
  const promote = useMutation({
    mutationFn: () => models.promote({ name, challenger: chosen, metric: metric.trim(), direction, alias: alias.trim() }),
    onSuccess: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: ['model', name] }),
        queryClient.invalidateQueries({ queryKey: ['model-versions', name] }),
        queryClient.invalidateQueries({ queryKey: ['model-history', name] }),
      ]),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (chosen !== '' && metric.trim() !== '' && alias.trim() !== '') promote.mutate();
  };
  return (
    <div>
      <form className="inline-form" onSubmit={submit}>
        <label htmlFor="promote-challenger">Challenger</label>
        <select id="promote-challenger" value={chosen} onChange={(e) => setChallenger(e.target.value)}>
          {versions.map((v) => (
            <option key={v} value={v}>
              version {v}
            </option>
          ))}
        </select>
        <label htmlFor="promote-metric">on metric</label>
        <input id="promote-metric" placeholder="val_auc" value={metric} onChange={(e) => setMetric(e.target.value)} />
        <label htmlFor="promote-direction" className="sr-only">
          Better is
        </label>
        <select
          id="promote-direction"
          value={direction}
          onChange={(e) => setDirection(e.target.value === 'lower_is_better' ? 'lower_is_better' : 'higher_is_better')}
        >
          <option value="higher_is_better">higher is better</option>
          <option value="lower_is_better">lower is better</option>
        </select>
        <label htmlFor="promote-alias">for alias</label>
        <input id="promote-alias" value={alias} onChange={(e) => setAlias(e.target.value)} />
        <button type="submit" className="primary" disabled={chosen === '' || metric.trim() === '' || alias.trim() === '' || promote.isPending}>
          Promote if better
        </button>
      </form>
      <ErrorMessage error={promote.error} />
      {promote.data ? <Decision decision={promote.data} /> : null}
    </div>
  );
}

function Decision({ decision }: { decision: PromotionDecision }) {
  const target = 'alias' in decision.target ? `@${decision.target.alias}` : `stage ${decision.target.stage}`;
  return (
    <div className="preview" role="status" aria-label="Promotion decision" style={{ minHeight: 0, marginTop: '0.5rem' }}>
      <p>
        <strong>{decision.promoted ? `Promoted: version ${decision.challenger_version} is now ${target}.` : `Not promoted: ${target} stays.`}</strong>
      </p>
      <p>{decision.reason}</p>
      <p className="muted">
        {decision.metric}: challenger v{decision.challenger_version} {decision.challenger_value === null ? '—' : formatValue(decision.challenger_value)}
        {decision.champion_version !== undefined
          ? ` · champion v${decision.champion_version} ${decision.champion_value === null ? '—' : formatValue(decision.champion_value)}`
          : ' · no champion yet'}
      </p>
    </div>
  );
}
