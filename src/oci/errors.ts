/** Errors of the OCI part: references, registry transport and auth, and registry operations. */
import { OpkError } from '../core/errors.js';

/** Codes of the OCI part. Append new codes; never rename one (the CLI maps them to exit statuses). */
export type OciErrorCode =
  | 'OCI_REFERENCE_INVALID' // an image reference that does not parse
  | 'OCI_AUTH_FAILED' // 401: credentials missing, wrong, or the token flow failed
  | 'OCI_DENIED' // 403 / DENIED / insufficient scope: authenticated, not allowed
  | 'OCI_NOT_FOUND' // 404: MANIFEST_UNKNOWN, BLOB_UNKNOWN, NAME_UNKNOWN
  | 'OCI_RATE_LIMITED' // 429 / TOOMANYREQUESTS after retries
  | 'OCI_REGISTRY_ERROR' // any other non-2xx answer or unusable response
  | 'OCI_UNREACHABLE' // connection failed or timed out after retries
  | 'OCI_TOO_LARGE' // a body past its named cap
  | 'OCI_DIGEST_MISMATCH' // content whose digest is not the one asked for
  | 'OCI_MANIFEST_INVALID' // a manifest/index that does not parse, or MANIFEST_INVALID
  | 'OCI_CONFLICT' // 409 / 412: a concurrent writer won (If-Match)
  | 'OCI_UNSUPPORTED' // UNSUPPORTED: the registry does not implement the operation
  | 'OCI_CREDENTIALS_INVALID' // a docker/podman auth file that does not parse
  | 'OCI_CREDENTIALS_HELPER_FAILED' // docker-credential-<name> missing or failing
  | 'OCI_INSECURE_REDIRECT' // an https → http redirect, or a redirect loop
  | 'OCI_TLS_CONFIG_INVALID' // an unreadable CA file
  | 'OCI_SIZE_MISMATCH' // content whose length is not the descriptor's size
  | 'OCI_ATTESTATION_INVALID' // a BuildKit attestation manifest that contradicts its index
  | 'OCI_PLATFORM_INVALID' // a platform filter that is not os/arch[/variant]
  | 'OCI_PLATFORM_NOT_FOUND' // no manifest of the image matches the platform filter
  | 'OCI_READBACK_FAILED'; // what we wrote is not what the registry serves afterwards

/** Thrown by `src/oci`. Messages name the reference or redacted URL, the fault and the fix; never a credential. */
export class OciError extends OpkError<OciErrorCode> {}
