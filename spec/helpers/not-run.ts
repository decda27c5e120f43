import { suite, type Test } from 'uvu';

/**
 * The uvu suite of a spec that needs something this machine may lack (root, sshd, namespaces).
 * When `reason` says it cannot run, the suite returned only counts the tests registered on it,
 * and its `run()` prints a loud NOT RUN line with that count, which spec/run.js adds to the
 * skipped total: the count is right by construction, never a number written by hand.
 */
export function suiteUnless(reason: string | undefined, name?: string): Test {
  if (!reason) return suite(name);
  let count = 0;
  const register = () => {
    count++;
  };
  const ignore = () => {};
  const stub = Object.assign(register, {
    only: register,
    skip: register,
    before: Object.assign(ignore, { each: ignore }),
    after: Object.assign(ignore, { each: ignore }),
    run: () => reportNotRun(count, reason),
  });
  return stub as unknown as Test;
}

/** Prints a loud notice and the count of tests that did not run; spec/run.js counts it. */
export function reportNotRun(count: number, reason: string): void {
  const line = `NOT RUN: ${count} tests in ${process.argv[1]}: ${reason}`;
  console.log('\n' + '!'.repeat(line.length) + '\n' + line + '\n' + '!'.repeat(line.length));
}
