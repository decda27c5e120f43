/**
 * A second job for the same tasks: one standalone SIP server (kamailio), not clustered. It
 * reuses aptInstall, lineInFile, rcEnable and service, with a handler for config changes.
 *
 *   npx ts-node playbooks/sip-server.ts -i lab --limit node1 --check
 */
import { playbook } from '../lib/playbook';
import { aptInstall, lineInFile, rcEnable, service } from '../tasks';

const RESTART = 'restart kamailio';

export default playbook(
  'sip-server',
  [
    {
      name: 'standalone kamailio',
      hosts: 'all',
      tasks: () => [
        aptInstall({ packages: ['kamailio'] }),
        lineInFile({ path: '/etc/default/kamailio', line: 'RUN_KAMAILIO=yes', regexp: '^#?\\s*RUN_KAMAILIO=' }, { notify: [RESTART] }),
        rcEnable({ service: 'kamailio' }),
        service({ name: 'kamailio', state: 'started' }),
      ],
      handlers: () => ({ [RESTART]: service({ name: 'kamailio', state: 'restarted' }) }),
    },
  ],
  module,
);
