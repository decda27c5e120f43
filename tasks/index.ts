/** Every task module and role, from one place: `import { writeFile, crmPrimitive } from '../tasks'`. */
export { flushHandlers } from '../lib/handlers';
export { aptInstall, type AptInstallParams } from './apt';
export { command, type CommandParams } from './command';
export { corosyncConfig, renderCorosyncConf, type CorosyncConfigParams, type CorosyncOptions } from './corosync';
export {
  crmColocation,
  crmOpDefaults,
  crmOrder,
  crmPrimitive,
  crmProperty,
  crmRscDefaults,
  type CrmColocationParams,
  type CrmDefaultsParams,
  type CrmOrderParams,
  type CrmPrimitiveParams,
  type CrmPropertyParams,
} from './crm';
export { crmTransaction } from './crm-transaction';
export { bindNetAddr, clusterInterface, corosyncMajorFromVersionText, isTwoNode } from './facts';
export { writeFile, type WriteFileParams } from './files';
export { lineInFile, type LineInFileParams } from './lines';
export { rcDisable, rcEnable, type RcParams } from './rc';
export { service, type ServiceParams } from './service';
export { allNodesOnline, waitFor, type WaitForParams } from './wait';
export { floatingService } from './roles/floating-service';
export { haClusterOptions, type HaClusterOptions } from './roles/ha-cluster-options';
export { pacemakerNode, pacemakerNodeHandlers, pacemakerNodePrepare, pacemakerNodeStart } from './roles/pacemaker-node';
