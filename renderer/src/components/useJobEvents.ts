// Collects the events of one job (export, prediction) from a topic that carries every job's
// events. Listening starts BEFORE the job is started, so no early event is missed; events are
// kept per job id and the caller picks its own once the start call has answered.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { TopicEvent, TopicName } from '../api';
import { useApi } from '../api-context';

export function useJobEvents<T extends 'export.progress' | 'predict.tokens'>(topic: T & TopicName) {
  const api = useApi();
  const byJob = useRef(new Map<string, TopicEvent<T>[]>());
  const [version, setVersion] = useState(0);
  const [listening, setListening] = useState(false);

  useEffect(() => {
    if (!listening) return;
    return api.subscribe(topic, (e) => {
      const event = e as TopicEvent<T> & { jobId: string };
      const list = byJob.current.get(event.jobId) ?? [];
      list.push(event);
      byJob.current.set(event.jobId, list);
      setVersion((v) => v + 1);
    });
  }, [api, topic, listening]);

  /** Start listening (call before starting the job); resolves once the subscription is in place. */
  const listen = useCallback(() => setListening(true), []);
  const eventsOf = useCallback((jobId: string | null): TopicEvent<T>[] => (jobId ? [...(byJob.current.get(jobId) ?? [])] : []), []);
  return { listen, listening, eventsOf, version };
}
