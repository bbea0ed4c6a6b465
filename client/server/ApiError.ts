// The management server's one error class: what an API handler throws to refuse a request. The
// router maps it (and every other failure) onto the wire in one place:
//   HTTP status + {"error": {"code": "NOT_FOUND", "message": "no host named h9"}}
// Codes are stable; clients and scripts branch on them, never on messages.

export type ApiErrorCode =
  | 'BAD_REQUEST'      // 400: malformed JSON, a missing/invalid field, a policy file with errors
  | 'UNAUTHORIZED'     // 401: no credentials, or wrong ones
  | 'TOO_MANY_ATTEMPTS' // 429: too many failed logins from the caller's address; retry after Retry-After seconds
  | 'FORBIDDEN'        // 403: the caller's role (or group authorization) does not allow this
  | 'CROSS_SITE'       // 403: a change sent from another site's page (Origin, Sec-Fetch-Site); refused before authentication
  | 'UNSUPPORTED_MEDIA_TYPE' // 415: a change (any method but GET/HEAD/OPTIONS) without Content-Type: application/json
  | 'NOT_FOUND'        // 404: no such user, host, group, VM, label or route
  | 'CONFLICT'         // 409: already exists, or the state does not allow it (e.g. no deployed policy)
  | 'HOST_UNREACHABLE' // 502: the host could not be reached over CIM
  | 'HOST_REFUSED'     // 502: the host answered with a CIM error or a refusing return code
  | 'HOST_TIMEOUT'     // 504: a host's operation did not end in time; its outcome is unknown
  | 'INTERNAL';        // 500: a fault of the server itself

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    /** Sent as Retry-After: when the caller may try again. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }

  /** The same failure (status, code, Retry-After) told with another message, e.g. with what it means for the request. */
  withMessage(message: string): ApiError {
    return new ApiError(this.status, this.code, message, this.retryAfterSeconds);
  }

  static badRequest(message: string): ApiError {
    return new ApiError(400, 'BAD_REQUEST', message);
  }
  static unauthorized(message = 'authentication required'): ApiError {
    return new ApiError(401, 'UNAUTHORIZED', message);
  }
  static tooManyAttempts(retryAfterSeconds: number): ApiError {
    return new ApiError(429, 'TOO_MANY_ATTEMPTS', `too many failed logins from this address; try again in ${retryAfterSeconds} s`, retryAfterSeconds);
  }
  static forbidden(message: string): ApiError {
    return new ApiError(403, 'FORBIDDEN', message);
  }
  static crossSite(message: string): ApiError {
    return new ApiError(403, 'CROSS_SITE', message);
  }
  static unsupportedMediaType(message: string): ApiError {
    return new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', message);
  }
  static notFound(message: string): ApiError {
    return new ApiError(404, 'NOT_FOUND', message);
  }
  static conflict(message: string): ApiError {
    return new ApiError(409, 'CONFLICT', message);
  }
  static hostUnreachable(message: string): ApiError {
    return new ApiError(502, 'HOST_UNREACHABLE', message);
  }
  static hostRefused(message: string): ApiError {
    return new ApiError(502, 'HOST_REFUSED', message);
  }
  static hostTimeout(message: string): ApiError {
    return new ApiError(504, 'HOST_TIMEOUT', message);
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}
