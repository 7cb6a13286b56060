/**
 * Test support: a complete, local, in-process Sigstore stack on 127.0.0.1.
 *
 * `startLocalSigstore()` starts real HTTP servers (ephemeral ports) that speak
 * the public Sigstore protocols:
 *
 *   - Fulcio  (POST /api/v2/signingCert)   — @sigstore/mock CA + CT log (SCT embedded)
 *   - Rekor   (POST /api/v1/log/entries)   — @sigstore/mock tlog, with entry bodies
 *                                            canonicalized the way real Rekor v1 does
 *   - TSA     (POST /api/v1/timestamp)     — @sigstore/mock RFC 3161 timestamp authority
 *   - OIDC    (oauth2-mock-server: /.well-known/openid-configuration, /jwks, /token, ...)
 *
 * plus a `trusted_root.json` describing all of them, so tests can sign through
 * HTTP with @sigstore/sign and then verify offline with @sigstore/verify.
 *
 * ## OIDC claims -> Fulcio certificate contents (behaviour of @sigstore/mock 0.12.1)
 *
 * The mock Fulcio does NOT verify the token signature or the proof of
 * possession; it just decodes the JWT. Then:
 *
 *   - Subject Alternative Name: always a *URI* SAN (critical) whose value is the
 *     token's `sub` claim verbatim (even if it looks like an e-mail address).
 *     `mintToken()` picks `sub` as: explicit `subject` argument, else
 *     `claims.sub`, else `https://github.com/<job_workflow_ref>` when
 *     `job_workflow_ref` is present (what real Fulcio puts in the SAN for GitHub
 *     Actions), else DEFAULT_SUBJECT.
 *   - Extensions (OID prefix 1.3.6.1.4.1.57264.1.). "legacy" = raw string bytes
 *     (Fulcio's deprecated encoding), otherwise a DER UTF8String:
 *       iss                   -> .1 (legacy Issuer) and .8 (Issuer V2)
 *                                 (iss = this OIDC issuer URL unless overridden in claims)
 *       event_name            -> .2 (legacy GH trigger) and .20 BuildTrigger
 *       sha                   -> .3 (legacy GH sha) and .13 SourceRepositoryDigest
 *       workflow              -> .4 (legacy GH workflow name) only
 *       repository            -> .5 (legacy GH repo) and .12 SourceRepositoryURI = https://github.com/<repository>
 *       ref                   -> .6 (legacy GH ref) and .14 SourceRepositoryRef
 *       job_workflow_ref      -> .9  BuildSignerURI   = https://github.com/<job_workflow_ref>
 *       job_workflow_sha      -> .10 BuildSignerDigest
 *       runner_environment    -> .11 RunnerEnvironment
 *       repository_id         -> .15 SourceRepositoryIdentifier
 *       repository_owner      -> .16 SourceRepositoryOwnerURI = https://github.com/<repository_owner>
 *       repository_owner_id   -> .17 SourceRepositoryOwnerIdentifier
 *       workflow_ref          -> .18 BuildConfigURI   = https://github.com/<workflow_ref>
 *       workflow_sha          -> .19 BuildConfigDigest
 *       repository_visibility -> .22 SourceRepositoryVisibilityAtSigning
 *       repository + run_id + run_attempt
 *                             -> .21 RunInvocationURI = https://github.com/<repository>/actions/runs/<run_id>/attempts/<run_attempt>
 *     Any other claim is ignored. Values of mapped claims must be strings (the
 *     mock would mis-encode numbers), so `mintToken()` rejects non-strings.
 *     The mock never emits .7 (OtherName SAN) nor the .23/.24 extensions.
 *
 * ## Other notable properties / caveats
 *
 *   - Fulcio "chain" is a single self-signed root (CN=sigstore,O=sigstore.mock)
 *     that issues the leaf directly; leaf certs are valid for 10 minutes.
 *   - Rekor: every entry is returned with logIndex = random, an inclusion
 *     promise (SET) and an inclusion proof for a 1-leaf tree (proof logIndex 0,
 *     no hashes) with a signed checkpoint whose origin is "127.0.0.1:<port> - <treeID>".
 *     Entries are not stored: GET /api/v1/log/entries/... is not served.
 *   - DSSE bundles produce `dsse` 0.0.1 entries (or `intoto` 0.0.2 with
 *     `tlogEntryType: 'intoto'`), blobs produce `hashedrekord` 0.0.1 entries.
 *   - The TSA clock is truncated to whole seconds (the mock would otherwise
 *     emit GeneralizedTime with 1-2 fractional digits, rejected by @sigstore/core).
 *   - A bundle signed with `tlog: false` has no tlog entry; verify it with
 *     `new Verifier(tm, { tlogThreshold: 0 })` (and `tsa: true` for a timestamp).
 */
import crypto, { type KeyObject } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';

// Deep imports on purpose: the package root also loads its nock-based helpers,
// and requiring nock patches node:http globally.
import { fulcioHandler, initializeCA, initializeCTLog } from '@sigstore/mock/dist/fulcio/index.js';
import { initializeTLog, rekorHandler } from '@sigstore/mock/dist/rekor/index.js';
import { initializeTSA, tsaHandler } from '@sigstore/mock/dist/timestamp/index.js';
import type { Handler, HandlerFnResult } from '@sigstore/mock/dist/shared.types.js';

import {
  BUNDLE_V03_MEDIA_TYPE,
  bundleToJSON,
  type Bundle,
  type SerializedBundle,
} from '@sigstore/bundle';
import { HashAlgorithm, PublicKeyDetails, TrustedRoot } from '@sigstore/protobuf-specs';
import {
  DSSEBundleBuilder,
  FulcioSigner,
  MessageSignatureBundleBuilder,
  RekorWitness,
  TSAWitness,
  type Witness,
} from '@sigstore/sign';
import { OAuth2Issuer, OAuth2Service } from 'oauth2-mock-server';

export const TRUSTED_ROOT_MEDIA_TYPE = 'application/vnd.dev.sigstore.trustedroot+json;version=0.1';
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
/** `sub` (and `email`) of tokens minted without an explicit subject. */
export const DEFAULT_SUBJECT = 'signer@example.com';
/** Default `aud` of minted tokens (what real Fulcio expects). */
export const DEFAULT_AUDIENCE = 'sigstore';

const OPERATOR = 'pkgseal.local-sigstore';
const HTTP_TIMEOUT_MS = 10_000;

/** Claims that the mock Fulcio copies into certificate extensions. */
const EXTENSION_CLAIMS = [
  'iss', 'event_name', 'sha', 'workflow', 'repository', 'ref', 'job_workflow_ref',
  'job_workflow_sha', 'runner_environment', 'repository_id', 'repository_owner',
  'repository_owner_id', 'workflow_ref', 'workflow_sha', 'repository_visibility',
  'run_id', 'run_attempt',
] as const;

export interface SignOptions {
  /** Use this OIDC token as is (claims/subject are then ignored). */
  token?: string;
  /** Extra/overriding JWT claims for the minted token (see header comment). */
  claims?: Record<string, unknown>;
  /** JWT `sub` => certificate SAN (URI). */
  subject?: string;
  /** Upload to the local Rekor. Default true. */
  tlog?: boolean;
  /** Get an RFC 3161 timestamp from the local TSA. Default false. */
  tsa?: boolean;
  /** Rekor entry kind for DSSE bundles. Default 'dsse' (0.0.1); 'intoto' gives intoto 0.0.2. */
  tlogEntryType?: 'dsse' | 'intoto';
  /** signStatement only: DSSE payloadType. Default application/vnd.in-toto+json. */
  payloadType?: string;
}

export interface LocalSigstore {
  fulcioURL: string;
  rekorURL: string;
  tsaURL: string;
  /** OIDC issuer URL (`iss` of minted tokens), e.g. http://127.0.0.1:PORT */
  oidcIssuer: string;
  /** TrustedRoot JSON object (protobuf JSON form). */
  trustedRoot: Record<string, unknown>;
  /** trusted_root.json in a fresh temp dir (removed by close()). */
  trustedRootPath: string;
  /** Start of validity used for every authority in the trusted root. */
  validFrom: Date;
  mintToken(claims?: Record<string, unknown>, subject?: string): Promise<string>;
  /** DSSE bundle (v0.3 JSON) over JSON.stringify(statement). */
  signStatement(statement: object, opts?: SignOptions): Promise<SerializedBundle>;
  /** Message-signature bundle (v0.3 JSON) over `data` (sha256). */
  signBlob(data: Buffer, opts?: SignOptions): Promise<SerializedBundle>;
  /**
   * Shifts the clock of the mock Fulcio CA (leaf notBefore/notAfter, 10 minutes apart) or of the
   * TSA (genTime) by `offsetMs` (0 restores real time) for every later signing. Shared state: do
   * not call it while other signing calls are in flight. Rekor and the CT log keep real time.
   */
  setClockOffset(component: 'fulcio' | 'tsa', offsetMs: number): void;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------
// HTTP plumbing

interface LocalServer {
  url: string;
  host: string; // "127.0.0.1:PORT"
  close(): Promise<void>;
}

async function listenLocal(listener: http.RequestListener): Promise<LocalServer> {
  const server = http.createServer(listener);
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      });
      return closed;
    },
  };
}

/** Serves @sigstore/mock handlers ({path, fn(body)}) as POST routes. */
function handlerListener(routes: () => Handler[]): http.RequestListener {
  return (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => res.destroy());
    req.on('end', () => {
      const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
      const route = routes().find((h) => h.path === pathname);
      if (!route) return send(res, { statusCode: 404, response: `no route for ${pathname}` });
      if (req.method !== 'POST') return send(res, { statusCode: 405, response: 'method not allowed' });
      route
        .fn(Buffer.concat(chunks).toString('utf8'))
        .then((result) => send(res, result))
        .catch((err: unknown) => send(res, { statusCode: 500, response: String(err) }));
    });
  };
}

function send(res: http.ServerResponse, { statusCode, response, contentType }: HandlerFnResult): void {
  const body =
    typeof response === 'string'
      ? Buffer.from(response, 'utf8')
      : Buffer.from(response.buffer, response.byteOffset, response.byteLength);
  res.writeHead(statusCode, {
    'content-type': contentType ?? 'text/plain',
    'content-length': body.length,
  });
  res.end(body);
}

// ---------------------------------------------------------------------------
// Rekor: canonicalize proposed entries like real Rekor v1 before logging

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

class RekorRequestError extends Error {}

const sha256hex = (data: crypto.BinaryLike): string =>
  crypto.createHash('sha256').update(data).digest('hex');

function preAuthEncoding(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `, 'utf8'),
    type,
    Buffer.from(` ${payload.length} `, 'utf8'),
    payload,
  ]);
}

/** Parses a base64-encoded PEM (certificate or public key) into a KeyObject. */
function verifierKey(b64pem: string): KeyObject {
  const pem = Buffer.from(b64pem, 'base64').toString('utf8');
  return pem.includes('CERTIFICATE')
    ? new crypto.X509Certificate(pem).publicKey
    : crypto.createPublicKey(pem);
}

/**
 * dsse 0.0.1: the stored (canonical) body is
 *   {apiVersion, kind, spec: {envelopeHash, payloadHash, signatures: [{signature, verifier}]}}
 * (the envelope itself is not stored), which is what @sigstore/verify's
 * tlog/dsse.ts compares against (signatures[0].signature, payloadHash.value).
 */
function canonicalDSSE(entry: Json): Json {
  const envelopeJSON: unknown = entry.spec?.proposedContent?.envelope;
  const verifiers: unknown = entry.spec?.proposedContent?.verifiers;
  if (typeof envelopeJSON !== 'string' || !Array.isArray(verifiers) || verifiers.length === 0) {
    throw new RekorRequestError('dsse: proposedContent.envelope and verifiers are required');
  }
  const env = JSON.parse(envelopeJSON) as Json;
  const payload = Buffer.from(String(env.payload ?? ''), 'base64');
  const pae = preAuthEncoding(String(env.payloadType ?? ''), payload);
  const sigs = Array.isArray(env.signatures) ? (env.signatures as Json[]) : [];
  if (sigs.length === 0) throw new RekorRequestError('dsse: envelope has no signatures');
  const signatures = sigs.map((s) => {
    const sig = Buffer.from(String(s.sig ?? ''), 'base64');
    const verifier = (verifiers as string[]).find((v) => {
      try {
        return crypto.verify('sha256', pae, verifierKey(v), sig);
      } catch {
        return false;
      }
    });
    if (!verifier) throw new RekorRequestError('dsse: signature does not verify with any verifier');
    return { signature: sig.toString('base64'), verifier };
  });
  return {
    apiVersion: entry.apiVersion,
    kind: 'dsse',
    spec: {
      envelopeHash: { algorithm: 'sha256', value: sha256hex(envelopeJSON) },
      payloadHash: { algorithm: 'sha256', value: sha256hex(payload) },
      signatures,
    },
  };
}

/** intoto 0.0.2: real Rekor drops the (double-encoded) payload from the stored body. */
function canonicalIntoto(entry: Json): Json {
  const content = entry.spec?.content as Json | undefined;
  if (!content?.envelope) throw new RekorRequestError('intoto: spec.content.envelope is required');
  const { payload: _payload, ...envelope } = content.envelope as Json;
  return { ...entry, spec: { ...entry.spec, content: { ...content, envelope } } };
}

function canonicalEntry(proposed: object): object {
  const entry = proposed as Json;
  if (entry.kind === 'dsse') return canonicalDSSE(entry);
  if (entry.kind === 'intoto') return canonicalIntoto(entry);
  return proposed; // hashedrekord 0.0.1: proposed form == stored form
}

// ---------------------------------------------------------------------------
// Trust root helpers

const spkiDER = (key: KeyObject): Buffer => key.export({ format: 'der', type: 'spki' });
const toBuffer = (v: ArrayBufferView): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

function tlogInstance(baseUrl: string, publicKeyDER: Buffer, logId: Buffer, start: Date) {
  return {
    baseUrl,
    hashAlgorithm: HashAlgorithm.SHA2_256,
    publicKey: {
      rawBytes: publicKeyDER,
      keyDetails: PublicKeyDetails.PKIX_ECDSA_P256_SHA_256,
      validFor: { start, end: undefined },
    },
    logId: { keyId: logId },
    checkpointKeyId: undefined,
    operator: OPERATOR,
  };
}

const newKeyPair = () => crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });

// ---------------------------------------------------------------------------
// OIDC

async function startOIDC(): Promise<{ server: LocalServer; mintToken: LocalSigstore['mintToken'] }> {
  const issuer = new OAuth2Issuer();
  await issuer.keys.generate('RS256');
  const service = new OAuth2Service(issuer);
  // Tokens fetched over HTTP (/token) get the same Fulcio-friendly defaults.
  service.on('beforeTokenSigning', (token: { payload: Record<string, unknown> }) => {
    token.payload.sub ??= DEFAULT_SUBJECT;
    if (token.payload.email === undefined && String(token.payload.sub).includes('@')) {
      token.payload.email = token.payload.sub;
    }
    token.payload.email_verified ??= true;
    token.payload.aud ??= DEFAULT_AUDIENCE;
  });
  const server = await listenLocal(service.requestHandler);
  issuer.url = server.url;

  async function mintToken(claims: Record<string, unknown> = {}, subject?: string): Promise<string> {
    for (const name of EXTENSION_CLAIMS) {
      if (name in claims && typeof claims[name] !== 'string') {
        throw new TypeError(`claim ${name} must be a string (the mock Fulcio mis-encodes other types)`);
      }
    }
    const jobWorkflowRef = claims.job_workflow_ref;
    const sub =
      subject ??
      (typeof claims.sub === 'string' ? claims.sub : undefined) ??
      (typeof jobWorkflowRef === 'string' ? `https://github.com/${jobWorkflowRef}` : DEFAULT_SUBJECT);
    return issuer.buildToken({
      scopesOrTransform: (_header, payload) => {
        Object.assign(payload, { aud: DEFAULT_AUDIENCE, email_verified: true });
        if (sub.includes('@') && !sub.includes('://')) payload.email = sub;
        Object.assign(payload, claims, { sub }); // claims may override iss/aud/email...
      },
    });
  }
  return { server, mintToken };
}

// ---------------------------------------------------------------------------

export async function startLocalSigstore(): Promise<LocalSigstore> {
  // Whole second, taken before any key/cert is created: every cert notBefore,
  // SCT, integratedTime and TSA genTime is >= this.
  const validFrom = new Date(Math.floor(Date.now() / 1000) * 1000);
  const servers: LocalServer[] = [];
  let tmpDir: string | undefined;
  try {
    // Fulcio + CT log
    let fulcioRoutes: Handler[] = [];
    const fulcio = await listenLocal(handlerListener(() => fulcioRoutes));
    servers.push(fulcio);
    const ctKeys = newKeyPair();
    const ctlog = await initializeCTLog(ctKeys);
    const ca = await initializeCA(newKeyPair(), ctlog);
    let fulcioClockOffset = 0;
    const caClock = ca as unknown as { getCurrentTime?: () => Date };
    if (typeof caClock.getCurrentTime !== 'function') {
      throw new Error('@sigstore/mock CA internals changed: cannot offset its clock');
    }
    caClock.getCurrentTime = () => new Date(Date.now() + fulcioClockOffset);
    fulcioRoutes = [fulcioHandler(ca, { strict: true })];

    // Rekor (the tlog needs its host for the checkpoint origin => listen first)
    let rekorRoutes: Handler[] = [];
    const rekor = await listenLocal(handlerListener(() => rekorRoutes));
    servers.push(rekor);
    const rekorKeys = newKeyPair();
    const tlog = await initializeTLog(rekor.url, rekorKeys);
    const canonicalTLog: typeof tlog = {
      publicKey: tlog.publicKey,
      log: (proposed: object) => tlog.log(canonicalEntry(proposed)),
      logV2: (req) => tlog.logV2(req),
    };
    // The mock handler answers 400 with the message when canonicalEntry throws.
    rekorRoutes = [rekorHandler(canonicalTLog, { strict: true })];

    // TSA
    let tsaRoutes: Handler[] = [];
    const tsaServer = await listenLocal(handlerListener(() => tsaRoutes));
    servers.push(tsaServer);
    const tsa = await initializeTSA(newKeyPair());
    const clockHolder = tsa as unknown as { getCurrentTime?: () => Date };
    if (typeof clockHolder.getCurrentTime !== 'function') {
      throw new Error('@sigstore/mock TSA internals changed: cannot pin its clock to whole seconds');
    }
    let tsaClockOffset = 0;
    clockHolder.getCurrentTime = () => new Date(Math.floor((Date.now() + tsaClockOffset) / 1000) * 1000);
    tsaRoutes = [tsaHandler(tsa, { strict: true })];

    // OIDC
    const oidc = await startOIDC();
    servers.push(oidc.server);

    // Trusted root
    const rekorDER = spkiDER(rekorKeys.publicKey);
    const ctDER = spkiDER(ctKeys.publicKey);
    const root: TrustedRoot = {
      mediaType: TRUSTED_ROOT_MEDIA_TYPE,
      tlogs: [
        tlogInstance(rekor.url, rekorDER, crypto.createHash('sha256').update(rekorDER).digest(), validFrom),
      ],
      certificateAuthorities: [
        {
          subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
          uri: fulcio.url,
          certChain: { certificates: [{ rawBytes: toBuffer(ca.rootCertificate) }] },
          validFor: { start: validFrom, end: undefined },
          operator: OPERATOR,
        },
      ],
      // The CT log has no HTTP endpoint: the mock CA calls it in-process.
      ctlogs: [tlogInstance(`${fulcio.url}/ct`, ctDER, toBuffer(ctlog.logID), validFrom)],
      timestampAuthorities: [
        {
          subject: { organization: 'sigstore.mock', commonName: 'tsa' },
          uri: tsaServer.url,
          certChain: {
            certificates: [
              { rawBytes: toBuffer(tsa.intCertificate) },
              { rawBytes: toBuffer(tsa.rootCertificate) },
            ],
          },
          validFor: { start: validFrom, end: undefined },
          operator: OPERATOR,
        },
      ],
    };
    const trustedRoot = TrustedRoot.toJSON(root) as Record<string, unknown>;
    tmpDir = await fs.mkdtemp(path.join(os.tmpdir(), 'pkgseal-local-sigstore-'));
    const trustedRootPath = path.join(tmpDir, 'trusted_root.json');
    await fs.writeFile(trustedRootPath, JSON.stringify(trustedRoot, null, 2) + '\n');

    const fetchOpts = { retry: 0, timeout: HTTP_TIMEOUT_MS };

    async function sign(
      kind: 'dsse' | 'message',
      data: Buffer,
      opts: SignOptions,
    ): Promise<SerializedBundle> {
      const token = opts.token ?? (await oidc.mintToken(opts.claims, opts.subject));
      const signer = new FulcioSigner({
        fulcioBaseURL: fulcio.url,
        identityProvider: { getToken: () => Promise.resolve(token) },
        ...fetchOpts,
      });
      const witnesses: Witness[] = [];
      if (opts.tlog !== false) {
        witnesses.push(
          new RekorWitness({
            rekorBaseURL: rekor.url,
            entryType: opts.tlogEntryType ?? 'dsse',
            fetchOnConflict: false,
            ...fetchOpts,
          }),
        );
      }
      if (opts.tsa === true) witnesses.push(new TSAWitness({ tsaBaseURL: tsaServer.url, ...fetchOpts }));

      let bundle: Bundle;
      if (kind === 'dsse') {
        bundle = await new DSSEBundleBuilder({ signer, witnesses, certificateChain: false }).create({
          data,
          type: opts.payloadType ?? IN_TOTO_PAYLOAD_TYPE,
        });
      } else {
        bundle = toV03(await new MessageSignatureBundleBuilder({ signer, witnesses }).create({ data }));
      }
      return bundleToJSON(bundle);
    }

    let closing: Promise<void> | undefined;
    const dir = tmpDir;
    return {
      fulcioURL: fulcio.url,
      rekorURL: rekor.url,
      tsaURL: tsaServer.url,
      oidcIssuer: oidc.server.url,
      trustedRoot,
      trustedRootPath,
      validFrom,
      mintToken: oidc.mintToken,
      signStatement: (statement, opts = {}) =>
        sign('dsse', Buffer.from(JSON.stringify(statement), 'utf8'), opts),
      signBlob: (data, opts = {}) => sign('message', data, opts),
      setClockOffset(component, offsetMs) {
        if (!Number.isFinite(offsetMs)) throw new TypeError('offsetMs must be a finite number');
        if (component === 'fulcio') fulcioClockOffset = offsetMs;
        else if (component === 'tsa') tsaClockOffset = offsetMs;
        else throw new TypeError(`unknown component ${String(component)}`);
      },
      close() {
        closing ??= Promise.all(servers.map((s) => s.close())).then(() =>
          fs.rm(dir, { recursive: true, force: true }),
        );
        return closing;
      },
    };
  } catch (err) {
    await Promise.all(servers.map((s) => s.close()));
    if (tmpDir) await fs.rm(tmpDir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * MessageSignatureBundleBuilder always emits a v0.2 bundle with a one-element
 * x509CertificateChain; rewrite it to the v0.3 form (single `certificate`).
 */
function toV03(bundle: Bundle): Bundle {
  const content = bundle.verificationMaterial.content;
  if (content.$case !== 'x509CertificateChain') return bundle;
  const [leaf] = content.x509CertificateChain.certificates;
  if (!leaf) throw new Error('bundle has an empty certificate chain');
  return {
    ...bundle,
    mediaType: BUNDLE_V03_MEDIA_TYPE,
    verificationMaterial: {
      ...bundle.verificationMaterial,
      content: { $case: 'certificate', certificate: leaf },
    },
  };
}
