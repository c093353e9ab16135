import { useMemo, useState } from 'react';
import { TimelineKindSchema } from '../../protocol';
import { formatClock } from '../format';
import { useSignal } from '../signal';
import { timeline } from '../store';
import { Panel } from './panel';

const KINDS = TimelineKindSchema.options;

export function TimelinePanel() {
  const events = useSignal(timeline);
  const [hidden, setHidden] = useState<ReadonlySet<string>>(new Set());
  const shown = useMemo(() => events.filter((event) => !hidden.has(event.kind)), [events, hidden]);
  const flip = (kind: string) =>
    setHidden((before) => {
      const next = new Set(before);
      if (next.has(kind)) next.delete(kind);
      else next.add(kind);
      return next;
    });
  return (
    <Panel name="timeline" title="Timeline">
      <fieldset className="kind-filter" aria-label="Show kinds">
        {KINDS.map((kind) => (
          <label key={kind} className={`chip kind-${kind}`}>
            <input type="checkbox" checked={!hidden.has(kind)} onChange={() => flip(kind)} />
            {kind}
          </label>
        ))}
      </fieldset>
      <ol className="timeline scroll-y">
        {shown.slice(0, 200).map((event, i) => (
          <li
            key={`${event.time}-${i}`}
            data-testid="timeline-item"
            data-kind={event.kind}
            className={`kind-${event.kind}`}
          >
            <time className="small muted">{formatClock(event.time)}</time>
            <span className={`badge kind-${event.kind}`}>{event.kind}</span>
            {event.source !== null && <strong className="small">{event.source}</strong>}
            <span>{event.text}</span>
          </li>
        ))}
        {shown.length === 0 && <li className="muted small">Nothing yet.</li>}
      </ol>
    </Panel>
  );
}
