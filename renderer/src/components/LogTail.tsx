// The last lines of a log, newest at the bottom, kept scrolled to the end while it grows.
import { useEffect, useRef } from 'react';

export interface LogTailLine {
  level?: 'info' | 'warning' | 'error';
  text: string;
}

export function LogTail({ lines, label = 'Log', max = 200 }: { lines: readonly LogTailLine[]; label?: string; max?: number }) {
  const ref = useRef<HTMLPreElement>(null);
  const shown = lines.slice(-max);
  useEffect(() => {
    const el = ref.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [shown.length, lines]);
  return (
    <pre className="log" ref={ref} aria-label={label} tabIndex={0} aria-live="polite">
      {shown.length === 0 ? <span className="help">(nothing yet)</span> : null}
      {shown.map((l, i) => (
        <div key={i} className={l.level ?? 'info'}>
          {l.text}
        </div>
      ))}
    </pre>
  );
}
