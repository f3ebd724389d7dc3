// What the data check measured about the chosen data file (samples kept, mean tokens per sample),
// kept for the review step's time estimate. Keyed by the file: a stale figure is never used.
import { create } from 'zustand';

export interface DataStats {
  trainPath: string;
  /** Samples the trainer will keep. */
  samples: number;
  /** Mean tokens per sample after truncation at the max_len the check used; null without a model. */
  meanTokens: number | null;
}

interface DataStatsState {
  stats: DataStats | null;
  record(stats: DataStats | null): void;
}

export const useDataStatsStore = create<DataStatsState>()((set) => ({
  stats: null,
  record: (stats) => set({ stats }),
}));
