/**
 * The files docs/SHARDING.md gives to copy (docs/sharding/): they parse as YAML, their shard
 * arguments cover shards 0 to N-1 once each with the same N everywhere, and their shell lines,
 * run by a real `sh` with `npx` stubbed, hand keel arguments that keel's own parser accepts and
 * put the reports where the merge looks for them.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse, parseAllDocuments } from 'yaml';
import { parseCli } from '../../lib/cli';
import { repoRoot } from '../helpers/cli';

const DOCS = join(repoRoot, 'docs', 'sharding');
const read = (name: string) => readFileSync(join(DOCS, name), 'utf8');

let scratch: string;
test.before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'keel-shard-docs-'));
  // `npx` as the documented lines call it: records its arguments, writes the --json file as keel
  // does (unless STUB_NO_REPORT), and exits with STUB_CODE.
  writeFileSync(
    join(scratch, 'npx'),
    [
      '#!/bin/sh',
      'printf "%s\\n" "$@" > "$STUB_ARGS"',
      'if [ -z "$STUB_NO_REPORT" ]; then prev=; for a in "$@"; do [ "$prev" = --json ] && [ "$a" != - ] && echo "{}" > "$a"; prev=$a; done; fi',
      'exit "${STUB_CODE:-0}"',
      '',
    ].join('\n'),
  );
  chmodSync(join(scratch, 'npx'), 0o755);
});
test.after(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs a documented shell script in `cwd` with the stub npx; its exit status and the arguments npx got. */
function sh(script: string, cwd: string, env: Record<string, string> = {}): { status: number | null; argv: string[]; stderr: string } {
  const args = join(cwd, '.npx-args');
  rmSync(args, { force: true });
  const r = spawnSync('sh', ['-c', script], { cwd, encoding: 'utf8', env: { PATH: `${scratch}:/usr/bin:/bin`, STUB_ARGS: args, ...env } });
  const argv = existsSync(args) ? readFileSync(args, 'utf8').split('\n').slice(0, -1) : [];
  return { status: r.status, argv, stderr: r.stderr };
}

/** `keel run PLAYBOOK FLAGS...` as keel's own parser reads the flags. */
function keelRun(argv: string[]) {
  assert.equal(argv.slice(0, 2), ['keel', 'run'], argv.join(' '));
  assert.ok(argv[2].endsWith('.ts'), `a playbook: ${argv[2]}`);
  return parseCli(argv.slice(3));
}

function workdir(name: string): string {
  const dir = mkdtempSync(join(scratch, `${name}-`));
  return dir;
}

/** The N of `--shard X/N` in a documented line. */
function shardCount(line: string): number {
  const m = /--shard "?.+?\/(\d+)"?(?:\s|$)/.exec(line);
  assert.ok(m, `no --shard I/N in: ${line}`);
  return Number(m![1]);
}

test('SHARDING.md links both files, and they are the ones here', () => {
  const doc = readFileSync(join(repoRoot, 'docs', 'SHARDING.md'), 'utf8');
  for (const f of ['github-actions.yml', 'k8s-indexed-job.yaml', 'k8s-merge-job.yaml']) {
    assert.ok(existsSync(join(DOCS, f)), f);
    assert.match(doc, `(sharding/${f})`);
  }
  assert.match(readFileSync(join(repoRoot, 'README.md'), 'utf8'), '(docs/SHARDING.md)');
});

test('GitHub Actions: the matrix is shards 0..N-1, each runs --shard I/N with its own report, the merge gets them all', () => {
  const wf = parse(read('github-actions.yml'));
  const shard = wf.jobs.shard;
  const values: number[] = shard.strategy.matrix.shard;
  assert.is(shard.strategy['fail-fast'], false);
  const step = shard.steps.find((s: { run?: string }) => s.run?.includes('keel run'));
  const n = shardCount(step.run);
  assert.equal(values, [...Array(n).keys()], `the matrix lists shards 0 to ${n - 1}`);
  const upload = shard.steps.find((s: { uses?: string }) => s.uses?.startsWith('actions/upload-artifact'));
  assert.is(upload.if, 'always()');
  const merge = wf.jobs.merge;
  assert.equal([merge.needs, merge.if], ['shard', 'always()']);
  const download = merge.steps.find((s: { uses?: string }) => s.uses?.startsWith('actions/download-artifact'));
  assert.is(download.with['merge-multiple'], true);
  const artifactPattern = new RegExp('^' + download.with.pattern.replace(/\*/g, '.*') + '$');

  const dir = workdir('gha');
  const at = (template: string, v: number) => template.replaceAll('${{ matrix.shard }}', String(v));
  const seen = new Set<number>();
  for (const v of values) {
    const r = sh(at(step.run, v), dir);
    assert.is(r.status, 0, r.stderr);
    const cli = keelRun(r.argv);
    assert.equal(cli.shard, { index: v, count: n });
    seen.add(cli.shard!.index);
    assert.is(cli.json, at(upload.with.path, v), 'the report is the file uploaded');
    assert.ok(existsSync(join(dir, cli.json!)));
    assert.match(at(upload.with.name, v), artifactPattern, 'the merge job downloads it');
  }
  assert.is(seen.size, n);
  // The merge step, in a directory holding what the download left: every shard's report once.
  const mergeStep = merge.steps.find((s: { run?: string }) => s.run?.includes('keel report merge'));
  const r = sh(mergeStep.run, dir);
  assert.is(r.status, 0, r.stderr);
  assert.equal(r.argv, ['keel', 'report', 'merge', ...values.map((v) => `report-${v}.json`), '--json', 'report.json']);
});

test('Kubernetes: an Indexed Job of N completions, N at once, each pod --shard $JOB_COMPLETION_INDEX/N onto the shared volume', () => {
  const docs = parseAllDocuments(read('k8s-indexed-job.yaml')).map((d) => d.toJS());
  const job = docs.find((d) => d.kind === 'Job');
  const pvc = docs.find((d) => d.kind === 'PersistentVolumeClaim');
  assert.equal([job.spec.completionMode, job.spec.backoffLimit, job.spec.template.spec.restartPolicy], ['Indexed', 0, 'Never']);
  const n = job.spec.completions;
  assert.is(job.spec.parallelism, n);
  const [container] = job.spec.template.spec.containers;
  assert.equal(container.command, ['sh', '-c']);
  const script: string = container.args[0];
  assert.is(shardCount(script.split('\n').find((l) => l.includes('keel run'))!), n);
  const volume = job.spec.template.spec.volumes.find((v: { persistentVolumeClaim?: unknown }) => v.persistentVolumeClaim);
  assert.is(volume.persistentVolumeClaim.claimName, pvc.metadata.name);
  assert.ok(pvc.spec.accessModes.includes('ReadWriteMany'));
  const mount = container.volumeMounts.find((m: { name: string }) => m.name === volume.name).mountPath;

  // The pods' script, with the volume at a scratch directory.
  const dir = workdir('k8s');
  const pod = (i: number, env: Record<string, string> = {}) => sh(script.replaceAll(mount, dir), dir, { JOB_COMPLETION_INDEX: String(i), ...env });
  for (let i = 0; i < n; i++) {
    const r = pod(i);
    assert.is(r.status, 0, r.stderr);
    const cli = keelRun(r.argv);
    assert.equal(cli.shard, { index: i, count: n });
    assert.is(cli.json, join(dir, `report-${i}.json`));
  }
  // Without JOB_COMPLETION_INDEX (not an Indexed Job), keel refuses the flag.
  const elsewhere = workdir('k8s-no-index');
  const unset = sh(script.replaceAll(mount, elsewhere), elsewhere, { JOB_COMPLETION_INDEX: '' });
  assert.throws(() => keelRun(unset.argv), /the shard index I is empty/);

  // A report written: the pod succeeds whatever the hosts did; no report: it fails, never with a stale one.
  for (const code of [0, 1, 3, 4, 5]) assert.is(pod(1, { STUB_CODE: String(code) }).status, 0, `keel exit ${code}`);
  assert.is(pod(1, { STUB_CODE: '2', STUB_NO_REPORT: '1' }).status, 2);
  assert.is(pod(1, { STUB_CODE: '1', STUB_NO_REPORT: '1' }).status, 1);
  writeFileSync(join(dir, 'report-1.json'), '{"stale": true}');
  assert.is(pod(1, { STUB_CODE: '0', STUB_NO_REPORT: '1' }).status, 1);
  assert.not.ok(existsSync(join(dir, 'report-1.json')), "an earlier run's report is removed");
  pod(1);

  // The merge Job mounts the same claim and merges every shard's report once.
  const merge = parse(read('k8s-merge-job.yaml'));
  const mc = merge.spec.template.spec.containers[0];
  const mv = merge.spec.template.spec.volumes.find((v: { persistentVolumeClaim?: unknown }) => v.persistentVolumeClaim);
  assert.is(mv.persistentVolumeClaim.claimName, pvc.metadata.name);
  const mmount = mc.volumeMounts.find((m: { name: string }) => m.name === mv.name).mountPath;
  const r = sh(mc.args[0].replaceAll(mmount, dir), dir);
  assert.is(r.status, 0, r.stderr);
  assert.equal(r.argv, ['keel', 'report', 'merge', ...[...Array(n).keys()].map((i) => join(dir, `report-${i}.json`)), '--json', join(dir, 'report.json')]);
});

test.run();
