import type { InputHTMLAttributes, ReactNode } from 'react';
import { ApiError } from '../api';

/** A labelled input whose error (from the API) sits right under it and is announced. */
export function Field({
  id,
  label,
  error,
  hint,
  ...input
}: {
  id: string;
  label: ReactNode;
  error?: string | null;
  hint?: ReactNode;
} & InputHTMLAttributes<HTMLInputElement>) {
  const describedBy = [error ? `${id}-error` : null, hint ? `${id}-hint` : null].filter(Boolean).join(' ');
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        className="input"
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy || undefined}
        {...input}
      />
      {hint ? (
        <p className="field-hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      {error ? (
        <p className="field-error" id={`${id}-error`} role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** The API's message for one field (`body.<name>`), when a validation failure names it. */
export function fieldError(error: unknown, name: string): string | null {
  if (!(error instanceof ApiError)) return null;
  const issues = (error.details?.issues ?? []) as { field?: string; message?: string }[];
  const issue = issues.find((i) => i.field === `body.${name}`);
  if (issue) return `${capitalize(name)} ${issue.message ?? 'is invalid'}.`;
  if (name === 'password' && /password/i.test(error.code)) return error.message;
  return null;
}

/** The error to show beside the submit button: whatever no field shows. */
export function formError(error: unknown, fields: string[]): string | null {
  if (!error) return null;
  if (fields.some((name) => fieldError(error, name))) return null;
  return error instanceof Error ? error.message : 'Something went wrong.';
}

function capitalize(text: string) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
