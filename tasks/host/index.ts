/** The host itself: its name. */
export { currentHostname, hostname } from './hostname';
