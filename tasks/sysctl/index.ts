/** Kernel parameters: sysctl (a sysctl.d file and the live values), and the fact it reads. */
export { normaliseSysctlValue, sysctlFact, type SysctlValue } from './facts';
export { renderSysctl, sysctl, SysctlParams, sysctlPath, type SysctlPlan } from './sysctl';
