// The CIM client library's public surface: import from here, not from the files behind it.
export { WbemConnection } from './WbemConnection.js';
export type { ConnectionOptions, TlsOptions, Timeouts } from './ConnectionOptions.js';
export { DEFAULT_TIMEOUTS, DEFAULT_NAMESPACE, DEFAULT_RETRIES, DEFAULT_CONNECTIONS, DEFAULT_CIM_PATH } from './ConnectionOptions.js';
export type * from './OperationOptions.js';
export { ResultStream } from './ResultStream.js';
export type { MethodArgument, TypedArgument } from './MethodArgument.js';
export type { MethodResult, OutParameter } from './MethodResult.js';
export {
  ClientError, TransportError, TimeoutError, HttpStatusError, AuthenticationError, ForbiddenError, TooManyAttemptsError, ContentTypeError,
  ResponseParseError, InvalidArgumentError, type ClientErrorCode, type TimeoutPhase,
} from './ClientError.js';
export { mayHaveBeenProcessed } from './requestOutcome.js';
export { isSafeOperation } from './HttpTransport.js';
export {
  awaitJob, waitForJob, jobOf, JobWaitTimeoutError, type JobEnd, type JobWaitOptions, type WaitForJobOptions,
} from './awaitJob.js';
export { JOB_STARTED, jobStateName } from '../../src/cim/ConcreteJob.js';
export { objectToJson, valueToJson, type Json } from './JsonForm.js';
export { CimError, CimStatus } from '../../src/cim/CimError.js';
