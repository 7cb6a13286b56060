// Modules that ship no type declarations (npm's own, a file inside undici): typed where pkgseal uses them
// (src/tree/npm-registry-config.ts, src/sources/http-get.ts), no further.

declare module '@npmcli/config' {
  const Config: unknown;
  export default Config;
}

declare module '@npmcli/config/lib/definitions/index.js' {
  const definitions: Record<string, unknown>;
  export default definitions;
}

declare module '@npmcli/agent' {
  import type { Agent } from 'node:http';
  export function getAgent(url: string, options: Record<string, unknown>): Agent;
}

declare module 'npm-registry-fetch/lib/auth.js' {
  const getAuth: (uri: string, opts: Record<string, unknown>) => unknown;
  export default getAuth;
}

// undici's connection pool alone (see src/sources/http-transport.ts); the package has no `exports`.
declare module 'undici/lib/dispatcher/agent.js' {
  import type { Agent } from 'undici';
  const AgentClass: typeof Agent;
  export default AgentClass;
}
