// SPDX-License-Identifier: Apache-2.0
import { useMemo, useState, type FormEvent } from 'react';
import { fields_for_schema, initial_values, to_arguments, type FieldSpec, type FieldValue, type FormValues } from '../forms/schema_fields';
import type { ToolDescriptor } from '../protocol/messages';
import { current_vector, scene_names, type SceneInfo } from '../studio/scene_info';
import type { CommandRun } from '../studio/session_state';
import { CommandRunView } from './command_run_view';
import { FormField } from './form_field';

interface Props {
  tool: ToolDescriptor;
  runs: CommandRun[];
  on_run: (args: Record<string, unknown>) => void;
  on_dismiss: (id: string) => void;
  /// The scene, for the name pickers and for vectors filled only in part.
  scene?: SceneInfo | undefined;
  /// The object picked in the outliner, for the object-name fields.
  selected?: string | undefined;
}

/// The outliner's object in the required object-name fields the form leaves empty.
function with_selected(values: FormValues, fields: FieldSpec[], selected: string | undefined): FormValues {
  if (!selected) return values;
  const next = { ...values };
  for (const field of fields) if (field.names === 'object' && field.required && next[field.name] === '') next[field.name] = selected;
  return next;
}

/// A form generated from the tool's input schema; submitting sends `command:send`.
export function ToolForm({ tool, runs, on_run, on_dismiss, scene, selected }: Props) {
  const fields = useMemo(() => fields_for_schema(tool.input_schema, tool.parameter_order), [tool.input_schema, tool.parameter_order]);
  const [values, set_values] = useState<FormValues>(() => with_selected(initial_values(fields), fields, selected));
  const [errors, set_errors] = useState<Record<string, string>>({});
  const running = runs.some((run) => run.status === 'running');

  const submit = (event: FormEvent) => {
    event.preventDefault();
    // An empty component of a vector keeps the named object's current value.
    const object_field = fields.find((field) => field.names === 'object');
    const named = object_field ? values[object_field.name] : undefined;
    // In a relative mode an empty component changes nothing: 0 for offsets, 1 for scale factors.
    const relative = fields.some((field) => field.kind === 'select' && typeof values[field.name] === 'string' && ['relative', 'offset', 'add'].includes(String(field.options?.[Number(values[field.name])]?.value)));
    const fallback = (field: FieldSpec) =>
      relative ? (field.name === 'scale' ? [1, 1, 1, 1] : [0, 0, 0, 0]) : current_vector(scene, field.name, typeof named === 'string' ? named : undefined);
    const result = to_arguments(fields, values, fallback);
    set_errors(result.errors);
    if (Object.keys(result.errors).length === 0) on_run(result.arguments);
  };

  const set = (name: string, value: FieldValue) => {
    set_values((old) => ({ ...old, [name]: value }));
    if (errors[name]) set_errors(({ [name]: _fixed, ...rest }) => rest);
  };

  return (
    <form className="tool-form" onSubmit={submit} noValidate aria-label={`Run ${tool.name}`}>
      {fields.length === 0 && <div className="faint" style={{ fontSize: 12 }}>No parameters.</div>}
      {fields.map((field) => (
        <FormField
          key={field.name}
          field={field}
          value={values[field.name]}
          error={errors[field.name]}
          suggestions={field.names ? scene_names(scene, field.names) : undefined}
          on_change={(value) => set(field.name, value)}
        />
      ))}
      <div className="form-actions">
        <button type="submit" className="primary small">
          {running ? 'Run again' : 'Run'}
        </button>
        {fields.length > 0 && (
          <button type="button" className="ghost small" onClick={() => { set_values(initial_values(fields)); set_errors({}); }}>
            Reset
          </button>
        )}
        {running && <span className="spinner" aria-label="running" />}
        {tool.mutates === false && <span className="badge">read-only</span>}
      </div>
      {runs.slice(0, 3).map((run) => (
        <CommandRunView key={run.id} run={run} on_dismiss={() => on_dismiss(run.id)} />
      ))}
    </form>
  );
}
