/** Errors of the consumer part: Dockerfile base images and the saved trust configuration. */
import { OpkError } from '../core/errors.js';

/** Codes of the consumer part. Append new codes; never rename one (the CLI maps them to exit statuses). */
export type ConsumerErrorCode =
  | 'DOCKERFILE_INVALID' // a Dockerfile (or parser directive) that does not parse
  | 'DOCKERFILE_TOO_LARGE' // a Dockerfile past MAX_DOCKERFILE_BYTES, or too many stages/bases
  | 'DOCKERFILE_VARIABLE_UNSUPPORTED' // a substitution form we do not evaluate (${A#x}, ${A%x}, ${A/x/y})
  | 'DOCKERFILE_VARIABLE_UNSET' // ${A:?message} with A unset
  | 'DOCKERFILE_TARGET_UNKNOWN' // --target names no stage
  | 'DOCKERFILE_PIN_MISSING' // pinDockerfile got no digest for an external base
  | 'DOCKERFILE_PIN_CONFLICT' // a base already pinned to another digest than the one verified
  | 'CONFIG_INVALID' // a saved trust configuration that does not parse or has unknown settings
  | 'CONFIG_UNREADABLE' // a saved trust configuration that cannot be read or written
  | 'CONFIG_NO_PROJECT' // `trust use --project` outside a repository
  | 'DOCKERFILE_UNREADABLE'; // a Dockerfile path that cannot be read

/** Thrown by `src/consumer`. Messages name the file and line, the fault and the fix. */
export class ConsumerError extends OpkError<ConsumerErrorCode> {}
