// A console page's failure: the status and what the error page says. `refusal` is the API's
// refusal behind a page that does not tell it (a TVDc the user may not see is "not found"); the
// server log names it.
import type { ApiError } from '../ApiError.js';

export class ConsoleError extends Error {
  constructor(readonly status: number, readonly title: string, message: string, readonly refusal?: ApiError) {
    super(message);
  }
}

export const notFound = (what: string, refusal?: ApiError): ConsoleError => new ConsoleError(404, 'Not found', what, refusal);

/** A request the console will not act on, whatever its credentials (CSRF defences). */
export const forbidden = (why: string): ConsoleError => new ConsoleError(403, 'Request refused', why);
