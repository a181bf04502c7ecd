// SPDX-License-Identifier: Apache-2.0
import { useId } from 'react';
import type { FieldSpec, FieldValue } from '../forms/schema_fields';

interface Props {
  field: FieldSpec;
  value: FieldValue;
  error?: string | undefined;
  on_change: (value: FieldValue) => void;
  /// Names to pick from (objects, materials or collections of the scene) for a name field.
  suggestions?: string[] | undefined;
}

function bounds_hint(field: FieldSpec): string | undefined {
  if (field.min !== undefined && field.max !== undefined) return `${field.min} – ${field.max}`;
  if (field.min !== undefined) return `≥ ${field.min}`;
  if (field.max !== undefined) return `≤ ${field.max}`;
  return undefined;
}

/// One generated input; the kind was decided by forms/schema_fields.ts.
export function FormField({ field, value, error, on_change, suggestions }: Props) {
  const id = useId();
  const hint_id = `${id}-hint`;
  const bounds = bounds_hint(field);
  const text = typeof value === 'string' ? value : '';
  // A description that only repeats the label ("Shape" under "Shape") is noise.
  const description = field.description && field.description.trim().toLowerCase() !== field.label.trim().toLowerCase() ? field.description : undefined;
  const described = description || bounds || error ? hint_id : undefined;
  const common = { id, 'aria-invalid': error ? true : undefined, 'aria-describedby': described, 'aria-required': field.required || undefined };

  let input;
  switch (field.kind) {
    case 'select':
      input = (
        <select {...common} value={text} onChange={(event) => on_change(event.target.value)}>
          {!field.required && <option value="">—</option>}
          {field.options?.map((option, index) => (
            <option key={index} value={String(index)}>
              {option.label}
            </option>
          ))}
        </select>
      );
      break;
    case 'toggle':
      input = (
        <label className="toggle">
          <input {...common} type="checkbox" checked={value === true} onChange={(event) => on_change(event.target.checked)} />
          <span className="track" aria-hidden="true" />
          <span className="dim">{value === true ? 'on' : value === false ? 'off' : 'default'}</span>
        </label>
      );
      break;
    case 'vector': {
      const parts = Array.isArray(value) ? value : [];
      input = (
        <div className="vector" style={{ ['--n' as string]: field.size ?? 3 }} role="group" aria-labelledby={`${id}-label`}>
          {(field.components ?? ['x', 'y', 'z']).map((axis, index) => (
            <label key={axis}>
              <span className="axis">{axis}</span>
              <input
                {...(index === 0 ? common : {})}
                type="number"
                inputMode="decimal"
                step={field.integer ? 1 : 'any'}
                min={field.min}
                max={field.max}
                aria-label={`${field.label} ${axis}`}
                value={parts[index] ?? ''}
                onChange={(event) => {
                  const next = [...parts];
                  while (next.length < (field.size ?? 3)) next.push('');
                  next[index] = event.target.value;
                  on_change(next);
                }}
              />
            </label>
          ))}
        </div>
      );
      break;
    }
    case 'color':
      input = (
        <div className="color-row">
          <input type="color" value={/^#[0-9a-f]{6}$/i.test(text) ? text : '#808080'} onChange={(event) => on_change(event.target.value)} aria-label={`${field.label} picker`} />
          <input {...common} className="mono" value={text} placeholder="#RRGGBB" maxLength={7} spellCheck={false} onChange={(event) => on_change(event.target.value)} />
        </div>
      );
      break;
    case 'number':
      input = (
        <input
          {...common}
          type="number"
          inputMode="decimal"
          step={field.step ?? 'any'}
          min={field.min}
          max={field.max}
          value={text}
          placeholder={field.required ? '' : 'default'}
          onChange={(event) => on_change(event.target.value)}
        />
      );
      break;
    case 'text':
      input =
        suggestions && suggestions.length > 0 ? (
          <>
            <input {...common} value={text} list={`${id}-names`} autoComplete="off" placeholder={`pick or type ${field.names === 'object' ? 'an object' : `a ${field.names}`}`} onChange={(event) => on_change(event.target.value)} />
            <datalist id={`${id}-names`}>
              {suggestions.map((name) => (
                <option key={name} value={name} />
              ))}
            </datalist>
          </>
        ) : (
          <input {...common} value={text} onChange={(event) => on_change(event.target.value)} />
        );
      break;
    case 'textarea':
      // Multi-line text (file contents, code): newlines are kept; Tab stays the focus key.
      input = (
        <textarea
          {...common}
          className="mono"
          rows={Math.min(14, Math.max(4, text.split('\n').length + 1))}
          spellCheck={false}
          placeholder="Ctrl+Enter runs"
          value={text}
          onChange={(event) => on_change(event.target.value)}
          onKeyDown={(event) => {
            // Enter is a newline here; Ctrl+Enter (⌘Enter) submits the form as Enter does elsewhere.
            if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
              event.preventDefault();
              event.currentTarget.form?.requestSubmit();
            }
          }}
        />
      );
      break;
    case 'json':
      input = <textarea {...common} className="mono" rows={3} value={text} placeholder="JSON" spellCheck={false} onChange={(event) => on_change(event.target.value)} />;
      break;
  }

  return (
    <div className={`form-field${error ? ' invalid' : ''}`}>
      <label className="label" htmlFor={id} id={`${id}-label`}>
        {field.label}
        {field.required && (
          <span className="required" title="required">
            *<span className="sr-only"> required</span>
          </span>
        )}
        {bounds && <span className="faint">{bounds}</span>}
      </label>
      {input}
      {(error || description) && (
        <div id={hint_id} className={error ? 'field-error' : 'hint'}>
          {error ?? description}
        </div>
      )}
    </div>
  );
}
