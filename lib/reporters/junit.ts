import { XMLBuilder } from 'fast-xml-parser';
import type { RunReport } from '../runner';
import { redact } from '../secrets';
import type { TaskResult } from '../types';
import { detail } from './format';

/** XML 1.0 cannot hold most control characters (a command's colours, a stray NUL): drop them. */
function xmlText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return redact(text).replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/g, '');
}

function firstLine(text: string): string {
  return xmlText(text).split('\n')[0].slice(0, 500);
}

interface Case {
  '@_classname': string;
  '@_name': string;
  '@_time': string;
  failure?: Record<string, string>;
  error?: Record<string, string>;
  skipped?: Record<string, string>;
  'system-out'?: string;
}

/** One testcase: a task on a host. Failures fail; in check mode, so does drift. */
function testcase(r: TaskResult, check: boolean): Case {
  const c: Case = { '@_classname': xmlText(r.host), '@_name': xmlText(r.task), '@_time': (r.durationMs / 1000).toFixed(3) };
  const words = detail(r);
  if (r.status === 'failed' && r.unreachable) c.error = { '@_type': 'unreachable', '@_message': firstLine(words), '#text': xmlText(words) };
  else if (r.status === 'failed' && r.ignored) c['system-out'] = xmlText(`failed (ignored): ${words}`);
  else if (r.status === 'failed') c.failure = { '@_type': 'failed', '@_message': firstLine(words), '#text': xmlText(words) };
  else if (r.status === 'would change' && check) {
    const body = [words, r.diff ?? ''].filter(Boolean).join('\n');
    c.failure = { '@_type': 'drift', '@_message': firstLine(`would change: ${words}`), '#text': xmlText(body) };
  } else if (r.status === 'skipped') c.skipped = { '@_message': firstLine(words || 'skipped') };
  else if (words) c['system-out'] = xmlText(`${r.status}: ${words}`);
  return c;
}

/**
 * The run as JUnit XML for CI dashboards: a testsuite per play, a testcase per host and task
 * (classname the host, name the task). A failed task is a failure; in check mode a task that
 * would change is a failure too (type "drift"); a host that could not be reached is an error.
 */
export function junitXml(report: RunReport, playbook: string): string {
  const suites = report.plays.map((play) => {
    const cases = play.results.map((r) => testcase(r, report.check));
    // Hosts lost before their first task of the play have no result: one error case each.
    for (const host of play.hosts) {
      if (report.unreachable[host] && !play.results.some((r) => r.host === host)) {
        cases.push({
          '@_classname': xmlText(host),
          '@_name': 'connect',
          '@_time': '0.000',
          error: { '@_type': 'unreachable', '@_message': firstLine(report.unreachable[host]), '#text': xmlText(report.unreachable[host]) },
        });
      }
    }
    return {
      '@_name': xmlText(play.name),
      '@_tests': cases.length,
      '@_failures': cases.filter((c) => c.failure).length,
      '@_errors': cases.filter((c) => c.error).length,
      '@_skipped': cases.filter((c) => c.skipped).length,
      '@_time': (play.results.reduce((ms, r) => ms + r.durationMs, 0) / 1000).toFixed(3),
      testcase: cases,
    };
  });
  const total = (k: '@_tests' | '@_failures' | '@_errors' | '@_skipped') => suites.reduce((n, s) => n + s[k], 0);
  const doc = {
    '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
    testsuites: {
      '@_name': xmlText(`keel ${playbook}${report.check ? ' (check)' : ''}`),
      '@_tests': total('@_tests'),
      '@_failures': total('@_failures'),
      '@_errors': total('@_errors'),
      '@_skipped': total('@_skipped'),
      '@_time': (report.durationMs / 1000).toFixed(3),
      '@_timestamp': report.startedAt,
      testsuite: suites,
    },
  };
  const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', format: true, suppressEmptyNode: true });
  return builder.build(doc);
}
