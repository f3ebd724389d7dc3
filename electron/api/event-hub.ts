// Pushed events inside the host: services publish to a topic, transports (IPC windows, SSE
// streams) subscribe. A topic can have a starter that runs when its first subscriber arrives and
// is stopped after the last leaves, so nothing is watched while nobody looks.
import { topics, type TopicEvent, type TopicName } from '../shared/contract';

type Listener = (event: unknown) => void;
type Stop = () => void;

export class EventHub {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly starters = new Map<string, () => Stop>();
  private readonly running = new Map<string, Stop>();

  /** Is `name` a declared topic? (Transports refuse subscriptions to anything else.) */
  static isTopic(name: string): name is TopicName {
    return Object.hasOwn(topics, name);
  }

  /** Publishes one event; it is checked against the topic's schema first (a drifting service is a bug). */
  publish<K extends TopicName>(topic: K, event: TopicEvent<K>): void {
    const parsed = topics[topic].event.safeParse(event);
    if (!parsed.success) {
      console.error(`[tunedesk] dropped an invalid "${topic}" event: ${parsed.error.issues[0]?.message}`);
      return;
    }
    for (const listener of [...(this.listeners.get(topic) ?? [])]) {
      try {
        listener(parsed.data);
      } catch (error) {
        console.error(`[tunedesk] a "${topic}" listener failed:`, error);
      }
    }
  }

  subscribe(topic: string, listener: Listener): Stop {
    if (!EventHub.isTopic(topic)) throw new Error(`unknown topic "${topic}"`);
    let set = this.listeners.get(topic);
    if (!set) this.listeners.set(topic, (set = new Set()));
    set.add(listener);
    if (set.size === 1) this.startIfNeeded(topic);
    return () => {
      const current = this.listeners.get(topic);
      if (!current?.delete(listener)) return;
      if (current.size === 0) {
        this.listeners.delete(topic);
        this.running.get(topic)?.();
        this.running.delete(topic);
      }
    };
  }

  /** Registers what to start when `topic` gets its first subscriber (e.g. a file watcher). */
  onDemand(topic: TopicName, start: () => Stop): void {
    this.starters.set(topic, start);
    if (this.listeners.get(topic)?.size) this.startIfNeeded(topic);
  }

  subscriberCount(topic: string): number {
    return this.listeners.get(topic)?.size ?? 0;
  }

  /** Stops every started producer (shutdown). */
  close(): void {
    for (const stop of this.running.values()) stop();
    this.running.clear();
    this.listeners.clear();
  }

  private startIfNeeded(topic: string): void {
    const start = this.starters.get(topic);
    if (start && !this.running.has(topic)) this.running.set(topic, start());
  }
}
