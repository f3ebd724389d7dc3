// A failed call shown to a person: what went wrong and, when known, what to do.
export function ErrorNote({ error, title }: { error: { message: string; hint?: string } | null; title?: string }) {
  if (!error) return null;
  return (
    <div className="alert bad" role="alert">
      {title && <strong>{title}: </strong>}
      {error.message}
      {error.hint && <div className="help">{error.hint}</div>}
    </div>
  );
}
