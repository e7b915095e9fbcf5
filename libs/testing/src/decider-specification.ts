/**
 * Given/When/Then for deciders (Emmett's DeciderSpecification): given past events, when a command is
 * decided, then these events result — or this error. Pure: no I/O, no clock.
 */
export interface Decider<State, Command, Event> {
  initialState(): State;
  evolve(state: State, event: Event): State;
  decide(command: Command, state: State): Event[];
}

export function deciderSpecification<State, Command, Event>(decider: Decider<State, Command, Event>) {
  return {
    given(events: Event[]) {
      const state = events.reduce((s, e) => decider.evolve(s, e), decider.initialState());
      return {
        when(command: Command) {
          const run = () => decider.decide(command, state);
          return {
            then(expected: Event[]) {
              expect(run()).toEqual(expected);
            },
            thenThrows(matcher: string | RegExp | ((error: unknown) => void)) {
              if (typeof matcher === 'function') {
                let thrown: unknown;
                try {
                  run();
                } catch (error) {
                  thrown = error;
                }
                expect(thrown).toBeDefined();
                matcher(thrown);
              } else {
                expect(run).toThrow(matcher);
              }
            },
          };
        },
      };
    },
  };
}
