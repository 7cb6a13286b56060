/**
 * The strict DER reader and the certificate parser built on it. They refuse whatever is not one
 * DER element (with a DERError naming the problem), and on certificates they read what the former
 * path read (@sigstore/core's parser, accepted only when its re-encoding equals the input):
 * on every real certificate the same, and on mutated ones the same or a refusal, never a
 * different reading.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { X509Certificate, X509SCTExtension } from '@sigstore/core';
import fc from 'fast-check';

import { caConstraints } from '../src/verify/x509/ca-constraints.js';
import { parseCertificate, type Certificate } from '../src/verify/x509/certificate.js';
import { childrenOf, DERError, readDER, type DERElement, type DERProblem } from '../src/verify/x509/der-reader.js';
import { decodeOID, decodeTime } from '../src/verify/x509/der-values.js';
import { precertificateTBS } from '../src/verify/x509/precertificate.js';
import { readSCTList } from '../src/verify/x509/sct-list.js';
import { realCertificates, type RealCertificate } from './support/real-evidence.js';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const SCT_OID = '1.3.6.1.4.1.11129.2.4.2';

function assertRefused(der: Buffer, problem: DERProblem, message: RegExp): void {
  assert.throws(
    () => readDER(der),
    (error: unknown) => error instanceof DERError && error.problem === problem && message.test(error.message),
    `${der.toString('hex')} should be refused as ${problem}`,
  );
}

describe('the DER reader refuses what is not exactly one DER element', () => {
  test('truncated input: empty, a tag alone, a length alone, and a real certificate cut anywhere', () => {
    assertRefused(Buffer.alloc(0), 'truncated', /no tag/);
    assertRefused(hex('30'), 'truncated', /no length/);
    assertRefused(hex('3082 01'), 'truncated', /in its length/);
    const [certificate] = realCertificates();
    for (let end = 0; end < certificate!.der.length; end++) {
      assert.throws(() => readDER(certificate!.der.subarray(0, end)), DERError, `cut at ${end}`);
    }
  });

  test('a long-form length that the short form or fewer bytes could write', () => {
    assertRefused(hex('30 81 03 020105'), 'non-minimal-length', /length 3 at byte 0 is not in its shortest form/);
    assertRefused(hex(`04 82 0080 ${'61'.repeat(128)}`), 'non-minimal-length', /length 128 at byte 0/);
    assertRefused(hex('30 04 04 81 01 61'), 'non-minimal-length', /length 1 at byte 2/);
  });

  test('an indefinite length', () => {
    assertRefused(hex('30 80 020105 0000'), 'indefinite-length', /indefinite length at byte 0/);
  });

  test('bytes after the element', () => {
    assertRefused(hex('020105 00'), 'trailing-bytes', /1 bytes follow the DER element/);
  });

  test('a length past the end of the input', () => {
    assertRefused(hex('30 05 020105'), 'truncated', /claims 5 bytes, 3 remain/);
  });

  test('nested lengths that do not fit their parent', () => {
    assertRefused(hex('30 03 02 02 05'), 'truncated', /at byte 2 claims 2 bytes, 1 remain/);
    assertRefused(hex('30 04 020105 05'), 'truncated', /at byte 5 is truncated \(no length\)/);
  });

  test('huge lengths: more than four length bytes, and four that claim gigabytes', () => {
    assertRefused(hex('04 85 0100000000'), 'length-too-large', /5-byte length/);
    assertRefused(hex('04 ff'), 'length-too-large', /127-byte length/);
    assertRefused(hex('04 84 ffffffff 00'), 'truncated', /claims 4294967295 bytes/);
  });

  test('tags it does not read: multi-byte tags and end-of-contents', () => {
    assertRefused(hex('1f 01 00'), 'unsupported-tag', /multi-byte tag/);
    assertRefused(hex('30 02 0000'), 'unsupported-tag', /end-of-contents/);
  });

  test('nesting deeper than any certificate', () => {
    let der = hex('0500');
    for (let i = 0; i < 100; i++) der = Buffer.concat([der.length < 0x80 ? Buffer.from([0x30, der.length]) : Buffer.from([0x30, 0x81, der.length]), der]);
    assertRefused(der, 'too-deep', /deeper than 64 levels/);
  });

  test('an OCTET STRING holding BER: other readers re-encode it before verifying', () => {
    assertRefused(hex('04 05 30 81 02 0500'), 'non-minimal-length', /OCTET STRING at byte 0 holds DER/);
    assertRefused(hex('30 09 04 07 04 05 30 81 02 0500'), 'non-minimal-length', /OCTET STRING at byte 2/);
  });

  test('control: an OCTET STRING of bytes that are not elements is opaque; DER lengths of every size read', () => {
    assert.equal(readDER(hex('04 03 30 81 05')).content.toString('hex'), '308105');
    assert.equal(readDER(hex('04 05 30 03 020105')).content.length, 5);
    for (const size of [0, 1, 127, 128, 255, 256, 65535, 65536]) {
      const length = size < 0x80 ? [size] : size < 0x100 ? [0x81, size] : size < 0x10000 ? [0x82, size >> 8, size & 0xff] : [0x83, size >> 16, (size >> 8) & 0xff, size & 0xff];
      const element = readDER(Buffer.concat([Buffer.from([0x04, ...length]), Buffer.alloc(size, 0x61)]));
      assert.equal(element.content.length, size);
    }
  });

  test('a certificate that is not one: errors name the field', () => {
    assert.throws(() => parseCertificate(hex('30 03 020105')), /tbsCertificate has tag 0x2, expected 0x30/);
    assert.throws(() => parseCertificate(hex('02 01 05')), /Certificate has tag 0x2/);
  });
});

describe('OBJECT IDENTIFIERs', () => {
  const oid = (content: string) => decodeOID(readDER(Buffer.concat([Buffer.from([0x06, content.length / 2]), hex(content)])));

  test('reads arcs of every size, and the first two from one subidentifier', () => {
    assert.equal(oid('2b0601040183bf30010c'), '1.3.6.1.4.1.57264.1.12');
    assert.equal(oid('550403'), '2.5.4.3');
    assert.equal(oid('2a864886f70d01010b'), '1.2.840.113549.1.1.11');
    assert.equal(oid('00'), '0.0');
  });

  test('refuses an arc padded with 0x80, a truncated arc, an empty OID, and one @sigstore/core would misread (2.40 and above)', () => {
    assert.throws(() => oid('2b8001'), /not in its shortest form/);
    assert.throws(() => oid('2b86'), /empty or truncated/);
    assert.throws(() => decodeOID(readDER(hex('0600'))), /empty or truncated/);
    assert.throws(() => oid('7801'), /2\.40 or above/);
  });
});

describe('UTCTime and GeneralizedTime', () => {
  /** How @sigstore/core read a time: its regular expressions, then `new Date` of an ISO string. */
  function formerTime(text: string, utc: boolean): number | 'refused' {
    const match = (utc ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\.\d{3})?Z$/ : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\.\d{3})?Z$/).exec(text);
    if (!match) return 'refused';
    const year = utc ? String(Number(match[1]) + (Number(match[1]) >= 50 ? 1900 : 2000)) : match[1];
    return new Date(`${year}-${match[2]}-${match[3]}T${match[4]}:${match[5]}:${match[6]}Z`).getTime();
  }
  function time(text: string, utc: boolean): number | 'refused' {
    const content = Buffer.from(text, 'latin1');
    try {
      return decodeTime(readDER(Buffer.concat([Buffer.from([utc ? 0x17 : 0x18, content.length]), content]))).getTime();
    } catch (error) {
      assert.ok(error instanceof DERError);
      return 'refused';
    }
  }
  const digits = (count: number) => fc.integer({ min: 0, max: 10 ** count - 1 }).map((value) => String(value).padStart(count, '0'));
  const timeText = (utc: boolean) =>
    fc
      .tuple(digits(utc ? 2 : 4), digits(2), digits(2), digits(2), digits(2), digits(2), fc.option(digits(3)), fc.constantFrom('Z', 'Z', 'z', '+0000', ''))
      .map(([year, month, day, hour, minute, second, fraction, zone]) => `${year}${month}${day}${hour}${minute}${second}${fraction === null ? '' : `.${fraction}`}${zone}`);

  for (const utc of [true, false]) {
    test(`${utc ? 'UTCTime' : 'GeneralizedTime'}: the same instant (or invalid Date) as before, or the same refusal (fixed seed)`, () => {
      const texts = fc.oneof(timeText(utc), fc.string({ maxLength: 20 }), fc.stringMatching(/^[0-9.Z]{10,22}$/));
      fc.assert(fc.property(texts, (text) => assert.equal(time(text, utc), formerTime(text, utc), JSON.stringify(text))), { seed: 20261126, numRuns: 20_000 });
      for (const year of utc ? ['49', '50', '00', '99'] : ['0000', '0049', '0099', '0100', '2024', '9999'])
        for (const month of ['00', '01', '02', '12', '13'])
          for (const day of ['00', '01', '29', '30', '31', '32'])
            for (const [hour, minute, second] of [['00', '00', '00'], ['23', '59', '59'], ['24', '00', '00'], ['24', '00', '01'], ['23', '60', '00'], ['23', '59', '60']]) {
              const text = `${year}${month}${day}${hour}${minute}${second}Z`;
              assert.equal(time(text, utc), formerTime(text, utc), text);
            }
    });
  }
});

/** What the former path accepted: @sigstore/core's parse whose re-encoding is the input. */
function formerCertificate(der: Buffer): X509Certificate | undefined {
  try {
    const certificate = X509Certificate.parse(Buffer.from(der));
    return Buffer.from(certificate.root.toDER()).equals(der) ? certificate : undefined;
  } catch {
    return undefined;
  }
}

function attempt<T>(read: () => T): T | Error {
  try {
    return read();
  } catch (error) {
    return error as Error;
  }
}

/** The former RFC 6962 precertificate: a clone without the SCT extension, re-encoded. */
function formerPrecertificate(former: X509Certificate): Buffer {
  const clone = former.clone();
  clone.extensions.splice(clone.extensions.findIndex((extension) => extension.subs[0]?.toOID() === SCT_OID), 1);
  return Buffer.from(clone.tbsCertificate.toDER());
}

/** Every field pkgseal reads is what the former parser read, or the new reader refuses the field. */
function assertSameReading(certificate: Certificate, former: X509Certificate, what: string): void {
  const bytes = (value: Uint8Array) => Buffer.from(value).toString('hex');
  assert.equal(bytes(certificate.tbsCertificate.bytes), bytes(former.tbsCertificate.toDER()), `${what}: TBS`);
  assert.equal(bytes(readDER(certificate.issuer).content), bytes(former.issuer), `${what}: issuer`);
  assert.equal(bytes(readDER(certificate.subject).content), bytes(former.subject), `${what}: subject`);
  assert.equal(bytes(certificate.serialNumber), bytes(former.serialNumber), `${what}: serial`);
  assert.equal(bytes(certificate.subjectPublicKeyInfo), bytes(former.publicKey), `${what}: SPKI`);
  assert.equal(bytes(certificate.signatureValue), bytes(former.signatureValue), `${what}: signature`);
  assert.equal(certificate.signatureAlgorithm, former.signatureAlgorithm, `${what}: signature algorithm`);
  assert.equal(certificate.notBefore.getTime(), former.notBefore.getTime(), `${what}: notBefore`);
  assert.equal(certificate.notAfter.getTime(), former.notAfter.getTime(), `${what}: notAfter`);
  assert.deepEqual(
    certificate.extensions.map((extension) => [extension.oid, extension.critical, bytes(extension.value)]),
    former.extensions.map((extension) => [extension.subs[0]!.toOID(), extension.subs.length === 3 ? extension.subs[1]!.toBoolean() : false, bytes(extension.subs[extension.subs.length - 1]!.value)]),
    `${what}: extensions`,
  );
  const constraints = attempt(() => caConstraints(certificate));
  if (!(constraints instanceof Error)) {
    assert.equal(constraints.isCA, former.isCA, `${what}: isCA`);
    assert.equal(constraints.pathLength, former.extBasicConstraints?.pathLenConstraint, `${what}: pathLenConstraint`);
  }
  const sct = certificate.extensions.find((extension) => extension.oid === SCT_OID);
  if (!sct) return;
  const precertificate = attempt(() => precertificateTBS(certificate, sct));
  if (!(precertificate instanceof Error)) assert.equal(bytes(precertificate), bytes(formerPrecertificate(former)), `${what}: precertificate TBS`);
  const scts = attempt(() => readSCTList(sct.value));
  if (!(scts instanceof Error)) {
    const formerSCTs = new X509SCTExtension(former.extensions.find((extension) => extension.subs[0]?.toOID() === SCT_OID)!).signedCertificateTimestamps;
    assert.deepEqual(
      scts.map((entry) => [bytes(entry.logID), bytes(entry.timestamp), bytes(entry.signature), entry.hashAlgorithm, bytes(entry.extensions)]),
      formerSCTs.map((entry) => [bytes(entry.logID), bytes(entry.timestamp), bytes(entry.signature), entry.hashAlgorithm, bytes(entry.extensions)]),
      `${what}: SCTs`,
    );
  }
}

describe('certificates: the new reader agrees with @sigstore/core parse + re-encoding', () => {
  const certificates = realCertificates();

  test('every certificate of the fixtures, ../shared/realdata and the public-good root reads the same', () => {
    assert.ok(certificates.length >= 10, `only ${certificates.length} certificates found`);
    for (const { source, der } of certificates) {
      const former = formerCertificate(der);
      const current = attempt(() => parseCertificate(der));
      if (!former) {
        assert.ok(current instanceof DERError, `${source}: the former path refused a certificate the new one reads`);
        continue;
      }
      assert.ok(!(current instanceof Error), `${source}: ${String(current)}`);
      assertSameReading(current, former, source);
    }
  });

  test('mutated certificates: the same reading, or a refusal (fixed seed)', () => {
    const samples = certificates.filter(({ der }) => formerCertificate(der)).slice(0, 40);
    const headers = new Map(samples.map((sample) => [sample, headerOffsets(readDER(sample.der))]));
    const mutation = fc.record({
      sample: fc.constantFrom(...samples),
      kind: fc.constantFrom('byte', 'header-byte', 'long-length', 'insert', 'delete', 'truncate', 'append'),
      where: fc.nat(),
      value: fc.integer({ min: 0, max: 255 }),
    });
    const outcomes = { read: 0, refused: 0 };
    fc.assert(
      fc.property(mutation, ({ sample, kind, where, value }) => {
        const der = mutate(sample, headers.get(sample)!, kind, where, value);
        const current = attempt(() => parseCertificate(der));
        if (current instanceof Error) {
          assert.ok(current instanceof DERError, `not a DERError: ${current.stack}`);
          outcomes.refused++;
          return;
        }
        outcomes.read++;
        const former = formerCertificate(der);
        assert.ok(former, `${kind} at ${where} (${value}): read by the new path, refused by the former: ${der.toString('hex')}`);
        assertSameReading(current, former, `${kind} at ${where}`);
      }),
      { seed: 20261126, numRuns: 4000 },
    );
    // Both sides of the property are exercised: mutants the reader reads, and mutants it refuses.
    assert.ok(outcomes.read > 400 && outcomes.refused > 400, JSON.stringify(outcomes));
  });
});

/** Where each element's header starts, to aim mutations at tags and lengths. */
function headerOffsets(element: DERElement): number[] {
  return [element.start, ...(element.constructed ? childrenOf(element).flatMap(headerOffsets) : [])];
}

function mutate(sample: RealCertificate, headers: number[], kind: string, where: number, value: number): Buffer {
  const der = Buffer.from(sample.der);
  const at = where % der.length;
  const header = headers[where % headers.length]!;
  switch (kind) {
    case 'byte':
      der[at] = value;
      return der;
    case 'header-byte':
      der[header + (value & 1)] = value;
      return der;
    case 'long-length': {
      // The same length written one byte longer than it needs: BER, not DER.
      const first = der[header + 1]!;
      const lengthBytes = first & 0x80 ? first & 0x7f : 0;
      const longer = lengthBytes === 0 ? Buffer.from([first]) : Buffer.concat([Buffer.from([0]), der.subarray(header + 2, header + 2 + lengthBytes)]);
      return Buffer.concat([der.subarray(0, header + 1), Buffer.from([0x80 | longer.length]), longer, der.subarray(header + 2 + lengthBytes)]);
    }
    case 'insert':
      return Buffer.concat([der.subarray(0, at), Buffer.from([value]), der.subarray(at)]);
    case 'delete':
      return Buffer.concat([der.subarray(0, at), der.subarray(at + 1)]);
    case 'truncate':
      return der.subarray(0, at);
    default:
      return Buffer.concat([der, Buffer.from([value])]);
  }
}
