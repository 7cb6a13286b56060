export type HttpGetErrorCode = 'TIMEOUT' | 'TRUNCATED' | 'TOO_LARGE' | 'TOO_MANY_REDIRECTS' | 'BAD_REDIRECT' | 'BAD_ENCODING';

/** What went wrong below HTTP that Node does not name itself (its errors, ECONNRESET…, pass through as they are). */
export class HttpGetError extends Error {
  readonly code: HttpGetErrorCode;
  constructor(code: HttpGetErrorCode, message: string) {
    super(message);
    this.name = 'HttpGetError';
    this.code = code;
  }
}

export const truncatedError = (): HttpGetError => new HttpGetError('TRUNCATED', 'response body truncated (connection closed early)');

export function describeBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round((bytes / 1024 / 1024) * 100) / 100} MiB` : `${bytes} bytes`;
}
