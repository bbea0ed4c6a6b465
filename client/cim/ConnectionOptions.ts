// What a caller can configure on a connection to a WBEM server, and the defaults tvdc uses.

export interface TlsOptions {
  /** PEM CA certificate(s) that sign the server's certificate (file path or contents). */
  caFile?: string;
  ca?: string | Buffer;
  /** PEM client certificate and key, for servers that require client certificates. */
  certFile?: string;
  cert?: string | Buffer;
  keyFile?: string;
  key?: string | Buffer;
  /** Skip verifying the server certificate. Only for testing; never the default. */
  noVerify?: boolean;
}

export interface Timeouts {
  /** TCP + TLS connect, ms. */
  connect: number;
  /** From sending the request to the complete response headers, ms. */
  headers: number;
  /** Longest pause between two body chunks, ms (a long enumeration may take longer in total). */
  body: number;
  /**
   * Deadline for a whole operation, request to last byte, ms; 0 for none. Bounds a server that
   * trickles bytes forever, which the body timeout (a pause between chunks) never catches. The
   * default is far above any answer tvdc's hosts give; a pull enumeration is bounded per Pull.
   */
  total: number;
}

export interface ConnectionOptions {
  /** Credentials; a user:password in the URL is used when these are absent. */
  user?: string;
  password?: string;
  /** Default namespace for operations that do not name one. */
  namespace?: string;
  timeouts?: Partial<Timeouts>;
  /**
   * How often a safe operation (Get*, Enumerate*, Associators*, References*, ExecQuery, Open* of the pull operations) is
   * re-sent after a connection reset or connect timeout. Never applied to InvokeMethod, Create*,
   * Modify*, Delete*, SetProperty: the server may have acted before the connection died; nor to
   * Pull*, which advances the server's enumeration context.
   */
  retries?: number;
  /** Most sockets kept open to the server. */
  connections?: number;
  tls?: TlsOptions;
  /** The HTTP path CIM operations are posted to. */
  cimPath?: string;
  /**
   * Sees every request body, the response headers (one `Name: value` string each) and every
   * response chunk as they pass (wbemcli's -dx, debugging).
   */
  trace?: (direction: 'request' | 'response-header' | 'response', data: string | Buffer) => void;
}

export const DEFAULT_TIMEOUTS: Readonly<Timeouts> = { connect: 10_000, headers: 60_000, body: 60_000, total: 600_000 };
export const DEFAULT_NAMESPACE = 'root/cimv2';
export const DEFAULT_RETRIES = 2;
export const DEFAULT_CONNECTIONS = 32;
export const DEFAULT_CIM_PATH = '/cimom';
