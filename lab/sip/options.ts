import { join } from 'node:path';
import { $ } from 'zx';

const SCENARIO = join(__dirname, 'options.xml');

export interface SipAnswer {
  ok: boolean;
  output: string;
}

/**
 * Sends one SIP OPTIONS with sipp (a real SIP client) and reports whether a 200 came back.
 * `localIp` is the address to send from: on the lab, the bridge (198.18.0.1).
 */
export async function sipOptions(target: string, options: { localIp: string; port?: number; timeoutSeconds?: number }): Promise<SipAnswer> {
  const local = options.port ?? 5070 + Math.floor(Math.random() * 900);
  const r = await $({ nothrow: true, quiet: true })`sipp -sf ${SCENARIO} -m 1 -i ${options.localIp} -p ${local} -timeout ${`${options.timeoutSeconds ?? 5}s`} -timeout_error -nostdin ${target}`;
  return { ok: r.exitCode === 0, output: r.stdout + r.stderr };
}
