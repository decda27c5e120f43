/** Waiting for a condition on a host: never drift, never a change. */
export { waitFor, WaitForParams } from './wait-for';
