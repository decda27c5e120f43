/**
 * Type tests, checked by `tsc --noEmit` (the first step of `npm test`): every line marked
 * @ts-expect-error must fail to compile. If one ever compiles, tsc reports an unused directive
 * and the test run fails. Never executed.
 */
import { aptInstall, command, crmOrder, crmPrimitive, service, waitFor, writeFile } from '../../tasks';

export function typeTests(): unknown[] {
  return [
    writeFile({ path: '/etc/motd', content: 'hi\n' }),
    // @ts-expect-error misspelt parameter
    writeFile({ path: '/etc/motd', contnet: 'hi\n' }),
    // @ts-expect-error content must be a string
    writeFile({ path: '/etc/motd', content: 42 }),
    // @ts-expect-error a state that does not exist
    service({ name: 'corosync', state: 'running' }),
    // @ts-expect-error packages is a list
    aptInstall({ packages: 'pacemaker' }),
    // @ts-expect-error unknown engine option
    writeFile({ path: '/etc/motd', content: '' }, { notfiy: ['x'] }),
    // @ts-expect-error runOnce is a boolean
    writeFile({ path: '/etc/motd', content: '' }, { runOnce: 'yes' }),
    // @ts-expect-error order kinds are Mandatory, Optional or Serialize
    crmOrder({ id: 'o', kind: 'Sometimes', first: 'a', then: 'b' }),
    // @ts-expect-error ops need an interval
    crmPrimitive({ id: 'p', agent: 'lsb:x', ops: [{ name: 'monitor' }] }),
    // @ts-expect-error changedWhen takes the command's result
    command({ cmd: 'true', changedWhen: (r: number) => r > 0 }),
    // @ts-expect-error timeoutSeconds is a number
    waitFor({ cmd: 'true', timeoutSeconds: '60' }),
  ];
}
