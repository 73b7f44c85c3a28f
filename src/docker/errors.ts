/** Errors of the Docker CLI plugin and its wrappers (`src/docker`). */
import { OpkError } from '../core/errors.js';

export type DockerErrorCode =
  | 'DOCKER_PLUGIN_NOT_OURS' // a docker-opk in the plugin directory was not installed by opk-attest
  | 'DOCKER_PLUGIN_INSTALL_FAILED' // the plugin directory or launcher could not be written
  | 'DOCKER_ARGS_INVALID' // a docker command line the wrapper cannot read safely
  | 'DOCKER_NOT_VERIFIED' // an image (or a Dockerfile base) did not pass verification
  | 'DOCKER_CLI_FAILED' // the docker CLI could not be started or was killed
  | 'DOCKER_DOCKERFILE_UNREADABLE'; // the Dockerfile of a build cannot be read or checked

/** Thrown by the Docker plugin and wrappers. */
export class DockerError extends OpkError<DockerErrorCode> {}
