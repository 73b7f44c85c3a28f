export { OciError, type OciErrorCode } from './errors.js';
export { parseReference, formatReference, referenceIdentifier, parseRegistry, registryBaseUrl, DOCKER_HUB, DOCKER_HUB_API, type ImageReference, type ReferenceOptions } from './reference.js';
export { createTransport, type TransportOptions } from './transport/client.js';
export type { RegistryRequest, RegistryTransport } from './transport/types.js';
