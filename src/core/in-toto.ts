/** The one name shared by the attestation and registry parts (docs/formats.md). */

/** Media type of an in-toto statement: the DSSE `payloadType` we sign, and BuildKit's attestation layer type. */
export const IN_TOTO_MEDIA_TYPE = 'application/vnd.in-toto+json';
