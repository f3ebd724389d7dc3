// Entry point: mounts the app with the real API client (preload bridge or browser mode).
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { ApiProvider } from './api-context';
import { api } from './api';
import './styles/app.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <ApiProvider client={api}>
      <App />
    </ApiProvider>
  </StrictMode>,
);
