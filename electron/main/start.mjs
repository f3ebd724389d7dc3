#!/usr/bin/env node
// `npm start`: runs electron/main/launch.ts through tsx (see there).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./launch.ts');
await main();
