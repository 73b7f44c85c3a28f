import { createHash } from 'node:crypto';
import { gqSign, gqVerify, verifyGqToken, type GqParams, type GqPrimitives } from '../../src/identity/gq256.js';
import { loadVectors, expectCode } from '../helpers.js';

const V = loadVectors();
const iso = V.gq_iso_14888_2;
const big = (hex: string): bigint => BigInt(`0x${hex}`);
const isoParams: GqParams = { n: big(iso.n), v: big(iso.v), ...iso.params };
const sha1Question = (data: Uint8Array, length: number): Uint8Array => createHash('sha1').update(data).digest().subarray(0, length);
const isoPrims: GqPrimitives = {
  question: sha1Question,
  encodeIdentity: () => Buffer.from(iso.G, 'hex'),
  randomBelow: () => big(iso.r),
};

describe('gqSign', () => {
  it('reproduces the ISO/IEC 14888-2 signature', () => {
    const sig = gqSign(isoParams, big(iso.Q), Buffer.from(iso.message_ascii), isoPrims);
    expect(sig.toString('hex').toUpperCase()).toBe(iso.signature);
  });
});

describe('gqVerify', () => {
  it('accepts the ISO/IEC 14888-2 signature', () => {
    expect(gqVerify(isoParams, Buffer.from(iso.signature, 'hex'), Buffer.from(iso.identity, 'hex'), Buffer.from(iso.message_ascii), isoPrims)).toBe(true);
  });
});

describe('verifyGqToken', () => {
  const g = V.google_gq_legacy;
  const [payload, opH, opS] = g.compact.split(':');
  const token = `${opH}.${payload}.${opS}`;
  it('accepts the Go-made token under the legacy rule', () => {
    expect(() => verifyGqToken(token, g.jwk, { legacy: true })).not.toThrow();
  });
  it('rejects it under the v0.25 rule', () => expectCode(() => verifyGqToken(token, g.jwk), 'PKT_GQ_INVALID'));
});
