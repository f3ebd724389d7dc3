// What the trainer's data check found: the problems (the same problem on many lines is one entry
// with its count and line numbers), the token-length histogram, and samples as the model sees
// them, each cut labelled with the limit that made it.
import type { DataCheckReport } from '../../../../electron/shared/contract/datasets';
import { ErrorNote } from '../../components/ErrorNote';
import type { SettingValue } from '../../shared-state/train-settings';
import { LengthHistogram } from './LengthHistogram';

export interface ProblemGroup {
  reason: string;
  lines: number[];
}

/** Problems with the same reason become one group (in order of first appearance). */
export function groupProblems(problems: DataCheckReport['problems']): ProblemGroup[] {
  const groups = new Map<string, ProblemGroup>();
  for (const p of problems) {
    const group = groups.get(p.reason) ?? { reason: p.reason, lines: [] };
    group.lines.push(p.line);
    groups.set(p.reason, group);
  }
  return [...groups.values()];
}

const SHOWN_LINES = 8;

function linesText(lines: number[]): string {
  const shown = lines.slice(0, SHOWN_LINES).join(', ');
  return lines.length > SHOWN_LINES ? `${shown}, … (${lines.length - SHOWN_LINES} more)` : shown;
}

const LIMIT_WORDS = { max_src_len: 'max prompt length', max_len: 'max length' } as const;

export function DataReport({ report, maxLen, maxSrcLen }: { report: DataCheckReport; maxLen: number | null; maxSrcLen: SettingValue }) {
  const groups = groupProblems(report.problems);
  const limitValue = (limit: keyof typeof LIMIT_WORDS) => (limit === 'max_len' ? maxLen : typeof maxSrcLen === 'number' ? maxSrcLen : null);
  const cutWords = (limit: keyof typeof LIMIT_WORDS, part: string) => {
    const value = limitValue(limit);
    return `${part} cut at ${LIMIT_WORDS[limit]}${value !== null ? ` (${value} tokens)` : ''}`;
  };
  return (
    <div className="stack" data-testid="data-report" data-ok={report.ok}>
      {report.error && <ErrorNote error={{ message: report.error.message, hint: report.error.hint }} />}
      {report.problemCount > 0 ? (
        <div className="alert bad" role="alert" data-testid="data-problems">
          <strong>
            {report.problemCount} problem{report.problemCount === 1 ? '' : 's'} in the file
          </strong>
          <ul className="errors">
            {groups.map((g) =>
              g.lines.length === 1 ? (
                <li key={g.reason}>
                  line {g.lines[0]}: {g.reason}
                </li>
              ) : (
                <li key={g.reason}>
                  {g.reason} — {g.lines.length} lines: {linesText(g.lines)}
                </li>
              ),
            )}
          </ul>
          {report.problemCount > report.problems.length && <p className="help">…and {report.problemCount - report.problems.length} more.</p>}
        </div>
      ) : (
        !report.error && (
          <div className="alert ok">
            {report.samples} samples{report.format ? ` (${report.format})` : ''}, no problems.
          </div>
        )
      )}
      {report.histogram && (
        <section className="card" aria-label="Token lengths">
          <h3>Token lengths</h3>
          <p className="help">
            {report.histogram.over_max_len === 0
              ? `Every sample fits in ${report.histogram.max_len} tokens (longest: ${report.histogram.longest}).`
              : `${(report.histogram.share_over_max_len * 100).toFixed(1)}% of samples (${report.histogram.over_max_len}) are longer than ${report.histogram.max_len} tokens and will be cut.`}
          </p>
          <LengthHistogram histogram={report.histogram} />
        </section>
      )}
      {report.preview.length > 0 && (
        <section className="card" aria-label="Samples as the model sees them">
          <h3>Samples as the model sees them</h3>
          <p className="help">
            <span className="sample">
              <span className="prompt">prompt (not learnt)</span> · <span className="answer">answer (learnt)</span> · <span className="truncated">✂ cut off</span>
            </span>
            {report.mode ? ` · template: ${report.mode}` : ''}
          </p>
          {report.preview.map((p) => (
            <div key={p.line} className="sample" data-testid="preview-sample" style={{ borderTop: '1px solid var(--border)', padding: '6px 0' }}>
              <div className="help" style={{ fontSize: '0.8rem' }}>
                line {p.line} · {p.tokens} tokens
                {p.cutBy.map((limit) => ` · ${cutWords(limit, limit === 'max_src_len' ? 'prompt' : 'sample')}`).join('')}
                {p.truncated && p.cutBy.length === 0 ? ' · cut' : ''}
              </div>
              <pre className="mono">
                {p.segments.map((s, i) => (
                  <span key={i} className={s.kind === 'special' ? 'help' : s.kind} title={s.kind === 'truncated' && s.limit ? `cut by ${LIMIT_WORDS[s.limit]}` : undefined}>
                    {s.kind === 'truncated' ? `✂${s.text}` : s.text}
                  </span>
                ))}
              </pre>
            </div>
          ))}
        </section>
      )}
    </div>
  );
}
