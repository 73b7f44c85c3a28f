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
