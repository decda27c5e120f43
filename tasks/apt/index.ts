/** Debian packages and repositories: aptInstall, aptRepository, and the dpkg, apt-policy and apt-lists facts they read. */
export { aptInstall, AptInstallParams, type AptInstallPlan } from './apt-install';
export { aptRepository, AptRepositoryParams, type AptRepositoryPlan } from './apt-repository';
export {
  type AptListsAge,
  aptListsAgeFact,
  aptListsFact,
  aptPolicyFact,
  dpkgStatusFact,
  isPackageInstalled,
  type PackagePolicy,
  type PackageState,
} from './facts';
