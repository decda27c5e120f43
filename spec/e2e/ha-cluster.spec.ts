// The HA cluster end to end on lab nodes whose PID 1 is the lab's own init (the body: spec/helpers/ha-cluster-suite.ts).
import { haClusterSuite } from '../helpers/ha-cluster-suite';

haClusterSuite('keel');
