import { dirname, join } from 'node:path';
import { BUNDLE_V03_MEDIA_TYPE, bundleToJSON, type SerializedBundle } from '@sigstore/bundle';
import { DSSEBundleBuilder, FulcioSigner, InternalError, RekorWitness, TSAWitness, type Witness } from '@sigstore/sign';
import { writeFileAtomically } from '../report/write-output.js';
import { IN_TOTO_PAYLOAD_TYPE } from '../verify/statement.js';
import { SigningError, type PackedTarball, type SigningInstance } from './sign.types.js';
import { npmPackageStatement, type Predicate } from './statement.js';

export interface SignTarballOptions {
  instance: SigningInstance;
  /** An OIDC token for Fulcio. Never logged, never part of an error. */
  identityToken: string;
  predicate: Predicate;
  /** Also get an RFC 3161 timestamp from the instance's TSA. */
  tsa?: boolean;
  /** Per request (default 30 000). */
  fetchTimeoutMs?: number;
  /** Further attempts after a network error, 408, 429 or 5xx (default 2). */
  retries?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_RETRIES = 2;
const MAX_REASON_LENGTH = 200;

/** A failing call of @sigstore/sign, by the service it was talking to. */
const SERVICE_BY_CODE = {
  CA_CREATE_SIGNING_CERTIFICATE_ERROR: { name: 'Fulcio', refused: 'refused the identity token', url: (i: SigningInstance) => i.fulcioURL },
  TLOG_CREATE_ENTRY_ERROR: { name: 'Rekor', refused: 'refused the log entry', url: (i: SigningInstance) => i.rekorURL },
  TLOG_FETCH_ENTRY_ERROR: { name: 'Rekor', refused: 'refused the log entry', url: (i: SigningInstance) => i.rekorURL },
  TSA_CREATE_TIMESTAMP_ERROR: { name: 'TSA', refused: 'refused the timestamp request', url: (i: SigningInstance) => i.tsaURL },
} as const satisfies Record<string, { name: string; refused: string; url: (instance: SigningInstance) => string | undefined }>;

/**
 * Signs the tarball with a short-lived Fulcio certificate for the identity token: a DSSE envelope
 * over the in-toto statement about it, logged in Rekor (and timestamped when asked), as a v0.3
 * bundle. Every failure is a one-line SigningError naming the service; none carries the token.
 */
export async function signTarball(tarball: PackedTarball, options: SignTarballOptions): Promise<SerializedBundle> {
  const { instance, identityToken } = options;
  const witnesses = witnessesFor(options);
  const signer = new FulcioSigner({
    fulcioBaseURL: instance.fulcioURL,
    identityProvider: { getToken: () => Promise.resolve(identityToken) },
    ...fetchOptions(options),
  });
  const statement = npmPackageStatement(tarball, options.predicate);
  try {
    const bundle = await new DSSEBundleBuilder({ signer, witnesses, certificateChain: false }).create({
      data: Buffer.from(JSON.stringify(statement), 'utf8'),
      type: IN_TOTO_PAYLOAD_TYPE,
    });
    const json = bundleToJSON(bundle);
    if (json.mediaType !== BUNDLE_V03_MEDIA_TYPE) throw new SigningError(`@sigstore/sign produced a ${json.mediaType} bundle, not v0.3`);
    return json;
  } catch (error) {
    if (error instanceof SigningError) throw error;
    throw new SigningError(`signing ${tarball.name}@${tarball.version}: ${describeFailure(error, instance, identityToken)}`);
  }
}

/** `<name>-<version>.tgz.sigstore.json` beside the tarball: npm pack's file name (`@acme/lib` → `acme-lib-1.0.0.tgz`). */
export function bundleFileFor(tarball: Pick<PackedTarball, 'file' | 'name' | 'version'>): string {
  return join(dirname(tarball.file), `${npmTarballFileName(tarball.name, tarball.version)}.sigstore.json`);
}

/** The file name npm and pnpm give a packed tarball. */
export function npmTarballFileName(name: string, version: string): string {
  return `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`;
}

/** One text form for a bundle wherever it is stored. */
export function serializeBundle(bundle: object): string {
  return `${JSON.stringify(bundle, null, 2)}\n`;
}

/** Writes the bundle beside the tarball (see `bundleFileFor`), whole or not at all; returns its path. */
export async function writeBundleFile(tarball: PackedTarball, bundle: object): Promise<string> {
  const file = bundleFileFor(tarball);
  try {
    await writeFileAtomically(file, serializeBundle(bundle));
  } catch (error) {
    throw new SigningError((error as Error).message);
  }
  return file;
}

function witnessesFor(options: SignTarballOptions): Witness[] {
  const { instance } = options;
  const witnesses: Witness[] = [];
  if (instance.rekorURL) {
    witnesses.push(new RekorWitness({ rekorBaseURL: instance.rekorURL, entryType: 'dsse', majorApiVersion: 1, fetchOnConflict: false, ...fetchOptions(options) }));
  }
  if (options.tsa) {
    if (!instance.tsaURL) throw new SigningError('a timestamp was asked for, but the signing instance has no TSA (--tsa-url)');
    witnesses.push(new TSAWitness({ tsaBaseURL: instance.tsaURL, ...fetchOptions(options) }));
  }
  if (witnesses.length === 0) throw new SigningError('the signing instance has no Rekor and no timestamp was asked for: the signature could not be verified');
  return witnesses;
}

function fetchOptions(options: SignTarballOptions): { timeout: number; retry: { retries: number; minTimeout: number } } {
  return { timeout: options.fetchTimeoutMs ?? DEFAULT_TIMEOUT_MS, retry: { retries: options.retries ?? DEFAULT_RETRIES, minTimeout: 500 } };
}

function describeFailure(error: unknown, instance: SigningInstance, token: string): string {
  if (!(error instanceof InternalError)) return scrub(messageOf(error), token);
  if (error.code === 'IDENTITY_TOKEN_PARSE_ERROR' || error.code === 'IDENTITY_TOKEN_READ_ERROR') {
    // @sigstore/sign puts the whole token in this message; only the known causes are safe to show.
    const cause = messageOf(error.cause);
    const known = /^JWT (email not verified by issuer|subject not found)$/.test(cause) ? `: ${cause}` : '';
    return `the identity token is not a JWT with a subject${known}`;
  }
  const service = SERVICE_BY_CODE[error.code];
  const url = service.url(instance) ?? '(none)';
  const cause: unknown = error.cause;
  const status = (cause as { statusCode?: unknown } | undefined)?.statusCode;
  if (typeof status === 'number') {
    const reason = scrub(messageOf(cause).replace(/^\(\d+\)\s*/, ''), token);
    const verb = status >= 500 ? 'failed' : service.refused;
    return `${service.name} at ${url} ${verb}: HTTP ${status}${reason ? ` ${reason}` : ''}`;
  }
  return `cannot reach ${service.name} at ${url}: ${scrub(networkReason(cause), token)}`;
}

/** make-fetch-happen says `request to <url> failed, reason: connect ECONNREFUSED …`; keep the reason. */
function networkReason(error: unknown): string {
  const message = messageOf(error);
  return /reason: (.*)$/.exec(message)?.[1] ?? message;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error ?? '');
}

/** One short line, without the token (a server may echo it). */
function scrub(text: string, token: string): string {
  const line = (token ? text.split(token).join('[identity token]') : text).replace(/\s+/g, ' ').trim();
  return line.length > MAX_REASON_LENGTH ? `${line.slice(0, MAX_REASON_LENGTH)}…` : line;
}
