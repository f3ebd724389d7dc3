#!/usr/bin/env node
// `npx tunedesk ...`: runs the TypeScript CLI through tsx, so the CLI needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
