// Screens get the API client from context, so unit tests can hand them an in-memory client built
// with createApiClient(stubBridge) while the app uses the real one from ./api.
import { createContext, useContext, type ReactNode } from 'react';
import { api as defaultApi, type ApiClient } from './api';

const ApiContext = createContext<ApiClient>(defaultApi);

export function ApiProvider({ client, children }: { client: ApiClient; children: ReactNode }) {
  return <ApiContext.Provider value={client}>{children}</ApiContext.Provider>;
}

export function useApi(): ApiClient {
  return useContext(ApiContext);
}
