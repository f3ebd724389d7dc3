// The whole contract: every call and topic of every feature. Feature files declare their own
// (contract/<feature>.ts); this file only gathers them, so a renamed call breaks the build.
import type { z } from 'zod';
import type { CallSpec, TopicSpec } from './define';
import { appCalls } from './app';
import { datasetsCalls } from './datasets';
import { estimatorCalls } from './estimator';
import { exportCalls, exportTopics } from './export';
import { hardwareCalls } from './hardware';
import { hubCalls, hubTopics } from './hub';
import { legacyChatglmCalls } from './legacy-chatglm';
import { checkpointsCalls } from './checkpoints';
import { modelsCalls } from './models';
import { predictCalls, predictTopics } from './predict';
import { presetsCalls } from './presets';
import { recommendCalls } from './recommend';
import { runsCalls, runsTopics } from './runs';
import { settingsCalls } from './settings';
import { systemCalls, systemTopics } from './system';
import { timeEstimateCalls } from './time-estimate';

export const calls = {
  ...appCalls,
  ...systemCalls,
  ...hardwareCalls,
  ...modelsCalls,
  ...hubCalls,
  ...legacyChatglmCalls,
  ...estimatorCalls,
  ...timeEstimateCalls,
  ...runsCalls,
  ...checkpointsCalls,
  ...settingsCalls,
  ...datasetsCalls,
  ...recommendCalls,
  ...presetsCalls,
  ...exportCalls,
  ...predictCalls,
} satisfies Record<string, CallSpec>;

export const topics = {
  ...systemTopics,
  ...runsTopics,
  ...exportTopics,
  ...hubTopics,
  ...predictTopics,
} satisfies Record<string, TopicSpec>;

export type Calls = typeof calls;
export type CallName = keyof Calls;
export type CallRequest<K extends CallName> = z.input<Calls[K]['request']>;
export type CallResponse<K extends CallName> = z.output<Calls[K]['response']>;
export type Topics = typeof topics;
export type TopicName = keyof Topics;
export type TopicEvent<K extends TopicName> = z.output<Topics[K]['event']>;
