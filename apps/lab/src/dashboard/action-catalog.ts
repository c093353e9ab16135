/**
 * The chaos actions as the dashboard offers them: every kind `lab chaos` knows, each with
 * the part of the system it breaks, so the page can put the buttons in groups. Pure.
 */
import type { ActionCatalog } from '@zk-lab/dashboard';
import type { ActionKind } from '../chaos/actions';

type ActionInfo = ActionCatalog['actions'][number];

/** What an action breaks: master, worker, producer, zookeeper, config or namespace. */
export function groupOf(kind: string): string {
  if (/^(leader|follower)-/.test(kind)) return 'master';
  if (kind.startsWith('worker-')) return 'worker';
  if (kind.startsWith('producer-')) return 'producer';
  if (kind.startsWith('zk-') || kind.startsWith('quorum-')) return 'zookeeper';
  if (kind.startsWith('config-')) return 'config';
  return 'namespace';
}

export function actionInfos(actions: readonly ActionKind[]): ActionInfo[] {
  return actions.map((a) => ({ kind: a.kind, what: a.what, group: groupOf(a.kind) }));
}
