/**
 * Pacemaker: the crm tasks, the crm objects a crmTransaction sends, the CIB fact they read, and
 * the wait for every node Online. A task is in tasks.ts, the objects in primitive.ts,
 * constraints.ts and property-sets.ts, the fact in facts.ts, the CIB model in cib.ts.
 */
export { crmColocation, crmOpDefaults, crmOrder, crmPrimitive, crmProperty, crmRscDefaults, crmTransaction } from './tasks';
export { colocation, order, ColocationParams, OrderParams } from './constraints';
export { primitive, PrimitiveParams, OpParams, type CrmOp } from './primitive';
export { opDefaults, property, rscDefaults, DefaultsParams, PropertyParams } from './property-sets';
export { type CrmObject, type CrmComparison, type CrmStage, type CrmValue } from './object';
export { cibFact, type CibState } from './facts';
export { type Cib } from './cib';
export { allNodesOnline, onlineListPattern, resourceStarted, resourceStartedPattern, type OnlineWaitParams } from './online';
