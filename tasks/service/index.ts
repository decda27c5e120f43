/** Services: running or stopped now (service), started at boot or not (rcEnable, rcDisable), systemd units (systemdUnit), and the facts they read. */
export {
  BOOT_RUNLEVELS,
  type BootState,
  bootStateFact,
  NOT_INSTALLED,
  parseIsEnabled,
  parseRcListing,
  parseStatus,
  RC_DIRECTORIES,
  rcLinksCommand,
  type RcLinks,
  type ServiceAction,
  serviceCommand,
  type ServiceStatus,
  serviceStatusFact,
  unknownInitSystem,
} from './facts';
export { type BootPlan, rcDisable, rcEnable, RcParams } from './boot';
export { service, ServiceParams, type ServicePlan } from './service';
export { systemdUnit, SystemdUnitParams, type SystemdUnitPlan } from './systemd-unit';
