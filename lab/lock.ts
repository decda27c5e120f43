// One lab command at a time: two concurrent `up`s would each start the same node (two inits, one root).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { LAB_DIR } from './paths';
import { alive, sleep } from './proc';
import { LabError } from './errors';

const LOCK_DIR = `${LAB_DIR}/lock`;

/** Runs `fn` holding the lab lock (an atomic mkdir); a lock whose owner died is taken over. */
export async function withLabLock<T>(fn: () => Promise<T>, timeoutMs = 600000): Promise<T> {
  mkdirSync(LAB_DIR, { recursive: true, mode: 0o700 });
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(LOCK_DIR);
      writeFileSync(`${LOCK_DIR}/pid`, `${process.pid}\n`);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let owner = NaN;
      try {
        owner = Number(readFileSync(`${LOCK_DIR}/pid`, 'utf8'));
      } catch {
        // Owner between mkdir and writing its pid: wait a moment.
      }
      if (Number.isInteger(owner) && owner > 0 && !alive(owner)) {
        rmSync(LOCK_DIR, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > end) throw new LabError(`another lab command holds ${LOCK_DIR} (pid ${owner})`);
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(LOCK_DIR, { recursive: true, force: true });
  }
}
