/**
 * What to do with a run's artifacts when tracking purges it, or when the last model version
 * referencing an already purged run goes away. Pure: the consumer loads the state and applies this.
 */
export interface CollectionState {
  /** null: tracking has not purged the run. */
  purge: 'deferred' | 'collected' | null;
  /** Model versions whose source points at the run's artifacts. */
  references: number;
}

export type CollectionDecision = 'collect' | 'defer' | 'nothing';

export function decideOnPurge(state: CollectionState): CollectionDecision {
  if (state.purge === 'collected') return 'nothing'; // a redelivered or repeated purge
  return state.references > 0 ? 'defer' : 'collect';
}

export function decideOnReferenceRemoved(state: CollectionState): CollectionDecision {
  return state.purge === 'deferred' && state.references === 0 ? 'collect' : 'nothing';
}
