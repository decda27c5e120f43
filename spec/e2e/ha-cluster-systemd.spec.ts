// The HA cluster end to end on lab nodes whose PID 1 is systemd, booted by systemd-nspawn
// (`lab up --init systemd`; the body: spec/helpers/ha-cluster-suite.ts).
import { haClusterSuite } from '../helpers/ha-cluster-suite';

haClusterSuite('systemd');
