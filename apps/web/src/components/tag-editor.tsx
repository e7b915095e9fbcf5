import { useMutation, useQueryClient, type QueryKey } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { ErrorMessage } from './feedback';
import { ACTIONS, DataTable } from './data-table';

interface TagEditorProps {
  tags: ReadonlyArray<{ key: string; value: string }>;
  /** What to refetch after a change. */
  invalidates: QueryKey;
  setTag(key: string, value: string): Promise<unknown>;
  deleteTag(key: string): Promise<unknown>;
  /** Tags MLflow sets itself (`mlflow.*`) are shown but not offered for editing. */
  hideSystem?: boolean;
  label: string;
  /** False: the tags are shown without the remove buttons and the form (the user may not edit them). */
  editable?: boolean;
}

/** A table of tags with remove buttons and an add/overwrite form; errors from the server shown inline. */
export function TagEditor({ tags, invalidates, setTag, deleteTag, hideSystem, label, editable = true }: TagEditorProps) {
  const queryClient = useQueryClient();
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const id = useId();
  const done = () => queryClient.invalidateQueries({ queryKey: invalidates });
  const set = useMutation({
    mutationFn: () => setTag(key.trim(), value),
    onSuccess: async () => {
      setKey('');
      setValue('');
      await done();
    },
  });
  const remove = useMutation({ mutationFn: (k: string) => deleteTag(k), onSuccess: done });
  const shown = hideSystem ? tags.filter((t) => !t.key.startsWith('mlflow.')) : tags;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (key.trim() !== '') set.mutate();
  };
  return (
    <div>
      {shown.length === 0 ? (
        <p className="muted">No tags.</p>
      ) : (
        <DataTable label={label} headers={['Key', 'Value', ...(editable ? [ACTIONS] : [])]}>
          {shown.map((tag) => (
            <tr key={tag.key}>
              <td className="mono">{tag.key}</td>
              <td className="mono">{tag.value}</td>
              {editable ? (
                <td>
                  <button type="button" className="danger" onClick={() => remove.mutate(tag.key)} aria-label={`Remove tag ${tag.key}`}>
                    Remove
                  </button>
                </td>
              ) : null}
            </tr>
          ))}
        </DataTable>
      )}
      {editable ? (
        <form className="inline-form" onSubmit={submit} style={{ marginTop: '0.5rem' }}>
          <label htmlFor={`${id}-key`}>Tag</label>
          <input id={`${id}-key`} value={key} onChange={(e) => setKey(e.target.value)} placeholder="key" />
          <label htmlFor={`${id}-value`} className="sr-only">
            Value
          </label>
          <input id={`${id}-value`} value={value} onChange={(e) => setValue(e.target.value)} placeholder="value" />
          <button type="submit" disabled={key.trim() === '' || set.isPending}>
            Set tag
          </button>
        </form>
      ) : null}
      <ErrorMessage error={set.error ?? remove.error} />
    </div>
  );
}
