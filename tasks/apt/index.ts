/** Debian packages: aptInstall, and the dpkg and apt-lists facts it reads. */
export { aptInstall, AptInstallParams, type AptInstallPlan } from './apt-install';
export { aptListsFact, dpkgStatusFact, isPackageInstalled, type PackageState } from './facts';
