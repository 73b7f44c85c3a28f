export { ConsumerError, type ConsumerErrorCode } from './errors.js';
export {
  parseDockerfile,
  type DockerfileOptions,
  type DockerfileBase,
  type DockerfileBaseKind,
  type DockerfileStage,
  type ParsedDockerfile,
} from './dockerfile.js';
export { pinDockerfile, pinnedReference } from './dockerfile-pin.js';
export { hostPlatform } from './dockerfile-platform.js';
export {
  resolveTrustConfig,
  readTrustConfig,
  writeTrustConfig,
  findProjectConfig,
  repositoryRoot,
  userConfigPath,
  describeTrustSource,
  PROJECT_CONFIG_FILE,
  USER_CONFIG_FILE,
  TRUST_KEYS,
  type TrustKey,
  type TrustSettings,
  type TrustOrigin,
  type TrustConfigFile,
  type ResolvedTrust,
} from './trust-config.js';
export { dockerfileImages, pinsOf, readDockerfile, type DockerfileImage } from './dockerfile-images.js';
