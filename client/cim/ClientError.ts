// The client layer's error base and its subclasses: everything that goes wrong between "send this
// operation" and "here is a decoded CIM result", other than a CIM status (which is a CimError).
// Each carries a stable code and a message that tells the user what to do next.

/**
 * Stable codes:
 * - CONNECT_REFUSED: nothing listens at host:port.
 * - CONNECT_FAILED: the host name does not resolve or the network is unreachable.
 * - CONNECTION_RESET: the server closed or reset the connection before the response was complete.
 * - TIMEOUT: connecting, waiting for response headers, waiting for the next body chunk, or the
 *   whole operation took longer than configured (`phase` says which).
 * - TLS: the TLS handshake failed (certificate not trusted, wrong host name, client cert refused).
 * - AUTH_REQUIRED: HTTP 401; the credentials are missing or wrong.
 * - FORBIDDEN: HTTP 403; the user is known but may not do this.
 * - TOO_MANY_ATTEMPTS: HTTP 429; the server refuses logins from this client's address for a while
 *   (too many wrong passwords from it lately); `retryAfterSeconds` says how long.
 * - HTTP_STATUS: any other non-200 HTTP status.
 * - PROTOCOL: the server rejected the request at the CIM-XML/HTTP level (a `CIMError` header such
 *   as `request-not-valid` or `unsupported-operation`).
 * - BAD_CONTENT_TYPE: the response is not CIM-XML (`application/xml` or `text/xml`).
 * - RESPONSE_PARSE: the body is not a complete, valid CIM-XML response (truncated, malformed).
 * - INVALID_ARGUMENT: the caller passed something that cannot be sent (bad URL, bad value).
 * - CLOSED: the connection object was closed.
 */
export type ClientErrorCode =
  | 'CONNECT_REFUSED'
  | 'CONNECT_FAILED'
  | 'CONNECTION_RESET'
  | 'TIMEOUT'
  | 'TLS'
  | 'AUTH_REQUIRED'
  | 'FORBIDDEN'
  | 'TOO_MANY_ATTEMPTS'
  | 'HTTP_STATUS'
  | 'PROTOCOL'
  | 'BAD_CONTENT_TYPE'
  | 'RESPONSE_PARSE'
  | 'INVALID_ARGUMENT'
  | 'CLOSED';

export class ClientError extends Error {
  override name = 'ClientError';
  /** What went wrong, without the hint. */
  readonly problem: string;
  /**
   * What to do about it, in the library's own terms (connection options, not any program's flags).
   * A program whose users mend it with options of their own says so with `messageWith`.
   */
  readonly hint: string | undefined;
  constructor(
    readonly code: ClientErrorCode,
    problem: string,
    options?: { cause?: unknown; hint?: string },
  ) {
    super(options?.hint ? `${problem}; ${options.hint}` : problem, options?.cause === undefined ? undefined : { cause: options.cause });
    this.problem = problem;
    this.hint = options?.hint;
  }

  /** The message with the caller's hint in place of the library's (the library's when `hint` is undefined). */
  messageWith(hint: string | undefined): string {
    return hint === undefined ? this.message : `${this.problem}; ${hint}`;
  }
}

/** The network or TLS failed: refused, reset, unreachable, handshake refused. */
export class TransportError extends ClientError {
  override name = 'TransportError';
  constructor(
    code: 'CONNECT_REFUSED' | 'CONNECT_FAILED' | 'CONNECTION_RESET' | 'TLS' | 'CLOSED',
    message: string,
    /** `host:port` the client was talking to. */
    readonly target: string,
    options?: { cause?: unknown; hint?: string },
  ) {
    super(code, message, options);
  }
}

export type TimeoutPhase = 'connect' | 'headers' | 'body' | 'total';

/** A configured timeout expired. */
export class TimeoutError extends ClientError {
  override name = 'TimeoutError';
  constructor(
    readonly phase: TimeoutPhase,
    readonly timeoutMs: number,
    readonly target: string,
    options?: { cause?: unknown },
  ) {
    const what = phase === 'connect' ? 'connecting to'
      : phase === 'headers' ? 'waiting for the response from'
        : phase === 'body' ? 'waiting for more of the response from' : 'on the whole operation with';
    super('TIMEOUT', `timed out after ${timeoutMs} ms ${what} ${target}; the server may be overloaded or hung — raise the ${phase} timeout or check the server`, options);
  }
}

/** A non-200 HTTP status without a more specific class. */
export class HttpStatusError extends ClientError {
  override name = 'HttpStatusError';
  constructor(
    readonly status: number,
    readonly statusText: string,
    message: string,
    code: 'HTTP_STATUS' | 'AUTH_REQUIRED' | 'FORBIDDEN' | 'TOO_MANY_ATTEMPTS' | 'PROTOCOL' = 'HTTP_STATUS',
    /** The response's `CIMError` header, when it had one (DSP0200 7.3). */
    readonly cimErrorHeader?: string,
    hint?: string,
  ) {
    super(code, message, hint === undefined ? undefined : { hint });
  }
}

/** HTTP 401. */
export class AuthenticationError extends HttpStatusError {
  override name = 'AuthenticationError';
  constructor(
    /** The realm from `WWW-Authenticate`, when the server sent one. */
    readonly realm: string | undefined,
    readonly user: string | undefined,
  ) {
    const who = user ? `user "${user}"` : 'no credentials';
    const where = realm ? ` for realm "${realm}"` : '';
    super(401, 'Unauthorized', `authentication failed (HTTP 401${where}) with ${who}`, 'AUTH_REQUIRED', undefined, 'give the right user and password');
  }
}

/** HTTP 403. */
export class ForbiddenError extends HttpStatusError {
  override name = 'ForbiddenError';
  constructor(readonly user: string | undefined, readonly operation: string) {
    super(403, 'Forbidden',
      `the server refused ${operation} for ${user ? `user "${user}"` : 'this client'} (HTTP 403); ask its administrator for a role that allows it`,
      'FORBIDDEN');
  }
}

/** HTTP 429: not retried here, since every retry before Retry-After is refused again. */
export class TooManyAttemptsError extends HttpStatusError {
  override name = 'TooManyAttemptsError';
  constructor(
    /** From `Retry-After`; undefined when the server sent none that could be read. */
    readonly retryAfterSeconds: number | undefined,
    readonly user: string | undefined,
    readonly target: string,
  ) {
    const when = retryAfterSeconds === undefined ? 'later' : `after ${retryAfterSeconds} s (Retry-After)`;
    super(429, 'Too Many Requests',
      `${target} refuses logins from this client's address for now: too many failed logins from it (HTTP 429); ` +
      `retry ${when}, and check the password of ${user ? `user "${user}"` : 'the user'}`,
      'TOO_MANY_ATTEMPTS');
  }
}

/** The response was not CIM-XML. */
export class ContentTypeError extends ClientError {
  override name = 'ContentTypeError';
  constructor(readonly contentType: string | undefined, readonly target: string) {
    super('BAD_CONTENT_TYPE',
      `the server at ${target} answered with ${contentType ? `Content-Type "${contentType}"` : 'no Content-Type'}, not CIM-XML; check that the URL points at a WBEM server (usually port 5988/5989)`);
  }
}

/** The response body was not a complete, valid CIM-XML response. */
export class ResponseParseError extends ClientError {
  override name = 'ResponseParseError';
  constructor(
    readonly reason: string,
    readonly operation: string,
    options?: { cause?: unknown },
  ) {
    super('RESPONSE_PARSE', `the ${operation} response could not be read: ${reason}; the server sent a truncated or invalid CIM-XML document`, options);
  }
}

/** The caller's input cannot be turned into a request. */
export class InvalidArgumentError extends ClientError {
  override name = 'InvalidArgumentError';
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}
