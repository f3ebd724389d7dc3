#!/usr/bin/env node
// `npm run web`: runs the browser-mode server from source through tsx (no build step for the host).
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
