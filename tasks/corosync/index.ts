/** corosync: corosync.conf rendered and written, the corosync fact it reads, and bindnetaddr. */
export { bindNetAddr, bindnetaddrFor, clusterInterface } from './bindnetaddr';
export { corosyncConfig, CorosyncConfigParams, type CorosyncConfigPlan } from './corosync-config';
export { corosyncFact, corosyncMajorFromVersionText, type CorosyncState } from './facts';
export { CorosyncNode, CorosyncOptions, CorosyncTransport, renderCorosyncConf } from './render';
