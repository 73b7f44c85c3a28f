export { OciError, type OciErrorCode } from './errors.js';
export { parseReference, formatReference, referenceIdentifier, parseRegistry, registryBaseUrl, usesPlainHttp, DOCKER_HUB, DOCKER_HUB_API, type ImageReference, type ReferenceOptions } from './reference.js';
export { createTransport, type TransportOptions, type ClosableTransport } from './transport/client.js';
export { registryError, parseErrorBody, type RegistryErrorEntry } from './transport/registry-error.js';
export { resolveCredential, authFiles, DOCKER_HUB_AUTH_KEY, type CredentialOptions } from './transport/auth.js';
export type { Credential } from './transport/credential.js';
export { parseChallenges, findChallenge, type Challenge } from './transport/challenge.js';
export type { RegistryRequest, RegistryTransport } from './transport/types.js';
