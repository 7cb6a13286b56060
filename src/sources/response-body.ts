import type http from 'node:http';
import { describeBytes, HttpGetError, truncatedError } from './http-errors.js';

/** A whole response: the body as it came over the wire (still gzip if it was sent so), 2xx only. */
export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Empty for a status other than 2xx: such a body is read to its end (the connection goes on) but not kept. */
  body: Buffer;
}

/** The encodings asked for (`accept-encoding: gzip`); anything else is refused unread. */
const ACCEPTED_ENCODINGS = new Set(['identity', 'gzip']);

/** Past this, a body nobody keeps (an error page, a redirect's) is not worth its connection. */
const MAX_DISCARDED_BYTES = 1024 * 1024;

/**
 * The rules every response body is read by, whichever transport carries it (http-transport.ts):
 * an encoding that was not asked for or a declared length over `maxBytes` fails before a byte is
 * read, a body that grows past `maxBytes` fails as it does, and one shorter than its declared
 * length is truncated. The transport feeds it the headers, each chunk, and the end.
 */
export class ResponseBody {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  private readonly keep: boolean;
  private readonly maxBytes: number | undefined;
  private readonly declared: number;
  private readonly chunks: Buffer[] = [];
  private received = 0;

  /** Throws HttpGetError (BAD_ENCODING, TOO_LARGE) when the body is refused unread. */
  constructor(status: number, headers: http.IncomingHttpHeaders, maxBytes: number | undefined) {
    this.status = status;
    this.headers = headers;
    this.keep = status >= 200 && status < 300;
    this.maxBytes = maxBytes;
    this.declared = Number(headers['content-length'] ?? NaN);
    if (!this.keep) return;
    const encoding = headers['content-encoding'];
    if (encoding !== undefined && !(typeof encoding === 'string' && ACCEPTED_ENCODINGS.has(encoding))) {
      throw new HttpGetError('BAD_ENCODING', `unsupported content-encoding ${JSON.stringify(encoding)}`);
    }
    if (maxBytes !== undefined && this.declared > maxBytes) throw tooLarge(`response of ${this.declared} bytes`, maxBytes);
  }

  /**
   * Takes the next chunk. Throws TOO_LARGE past `maxBytes`; returns false when a body nobody keeps
   * has gone on too long: the response is whole as far as the caller is concerned.
   */
  add(chunk: Buffer): boolean {
    this.received += chunk.length;
    if (!this.keep) return this.received <= MAX_DISCARDED_BYTES;
    if (this.maxBytes !== undefined && this.received > this.maxBytes) throw tooLarge('response', this.maxBytes);
    this.chunks.push(chunk);
    return true;
  }

  /** At the end of the body: throws TRUNCATED when fewer bytes came than were declared. */
  finish(): HttpResponse {
    if (this.keep && Number.isFinite(this.declared) && this.received !== this.declared) throw truncatedError();
    return this.response();
  }

  /** The response as far as it came: for a body nobody keeps, that is all there is to know. */
  response(): HttpResponse {
    return { status: this.status, headers: this.headers, body: this.keep ? Buffer.concat(this.chunks, this.received) : Buffer.alloc(0) };
  }
}

function tooLarge(what: string, maxBytes: number): HttpGetError {
  return new HttpGetError('TOO_LARGE', `${what} is larger than the ${describeBytes(maxBytes)} allowed`);
}
