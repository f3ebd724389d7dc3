// Preload of every TuneDesk window (sandboxed: bundled to one CommonJS file by electron/main/build.mjs).
import { contextBridge, ipcRenderer } from 'electron';
import { createBridge } from './bridge';

contextBridge.exposeInMainWorld('tunedesk', createBridge(ipcRenderer));
