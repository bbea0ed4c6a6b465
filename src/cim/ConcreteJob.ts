// CIM_ConcreteJob as the schema numbers it (DMTF CIM 2.41): its JobState values, and the 4096 an
// extrinsic method answers when it started one. One place for both the server's job providers and
// the client that waits for jobs, so that the two cannot come to disagree on a number.

/** The return value of an extrinsic method that started a job (DSP1033, DSP1057, DSP1081). */
export const JOB_STARTED = 4096;

/** CIM_ConcreteJob.JobState. */
export const JOB_STATE = {
  new: 2, starting: 3, running: 4, suspended: 5, shuttingDown: 6,
  completed: 7, terminated: 8, killed: 9, exception: 10, service: 11, queryPending: 12,
} as const;

const NAMES: Record<number, string> = {
  2: 'New', 3: 'Starting', 4: 'Running', 5: 'Suspended', 6: 'Shutting Down',
  7: 'Completed', 8: 'Terminated', 9: 'Killed', 10: 'Exception', 11: 'Service', 12: 'Query Pending',
};

/**
 * Whether a job in `state` changes no more: Completed, Terminated, Killed or Exception. Only 7-10
 * end a job: 11 Service and 12 Query Pending are live states although their numbers are higher,
 * and values 13 and up are reserved.
 */
export function isFinalJobState(state: number): boolean {
  return state >= JOB_STATE.completed && state <= JOB_STATE.exception;
}

/** `4 Running`, `13 unknown`, or `no JobState`, for messages. */
export function jobStateName(state: number | null): string {
  if (state === null) return 'no JobState';
  return `${state} ${NAMES[state] ?? 'unknown'}`;
}
