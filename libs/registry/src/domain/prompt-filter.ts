/*
 * Clients from 2.22 on append `tag.`mlflow.prompt.is_prompt` != 'true'` to every registered-model
 * search to hide prompts. Taken literally under MLflow's tag rule (a row without the key never
 * matches), it would hide every ordinary model; MLflow's store means "not a prompt", so the clause
 * is lifted out of the filter and applied as exactly that.
 */
const PROMPT_CLAUSE =
  /(^|\s+and\s+)tags?\.(`mlflow\.prompt\.is_prompt`|"mlflow\.prompt\.is_prompt"|mlflow\.prompt\.is_prompt)\s*!=\s*(['"])true\3(?=\s+and\s+|\s*$)/i;

export function liftPromptClause(filter: string | undefined): { filter: string | undefined; excludePrompts: boolean } {
  if (!filter) return { filter, excludePrompts: false };
  const match = PROMPT_CLAUSE.exec(filter);
  if (!match) return { filter, excludePrompts: false };
  let rest = filter.slice(0, match.index) + filter.slice(match.index + match[0].length);
  rest = rest.replace(/^\s*and\s+/i, '').trim();
  return { filter: rest === '' ? undefined : rest, excludePrompts: true };
}
