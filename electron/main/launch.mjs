#!/usr/bin/env node
// `npm start`: runs electron/main/launch.ts through tsx (see there).
import { register } from 'tsx/esm/api';

register();
await import('./launch.ts');
