/**
 * The time port, in milliseconds since the epoch (MLflow's unit for every timestamp): the event
 * store stamps `occurredAt` from it and the contexts decide with it, so tests can pin time.
 */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that stays where it is put; `advance` moves it forward. For tests and replays. */
export class ManualClock implements Clock {
  private current: number;

  constructor(start: Date | string | number = '2024-01-01T00:00:00.000Z') {
    this.current = new Date(start).getTime();
  }

  now(): number {
    return this.current;
  }

  advance(ms: number): void {
    this.current += ms;
  }

  set(to: Date | string | number): void {
    this.current = new Date(to).getTime();
  }
}
