import { useEffect, useRef, useState } from 'react';
import { ChildrenPageSchema, type ChildrenPage } from '../../protocol';
import { getJson, query } from '../api';
import { childPath } from '../paths';
import { herd, inSequence } from '../recipes';
import { useSignal } from '../signal';
import { fanouts, goTo, hello, recipeTick, reportError, snapshot } from '../store';

interface RecipeData {
  election: ChildrenPage | null;
  queue: ChildrenPage | null;
  assign: { worker: string; tasks: ChildrenPage }[];
}

async function page(path: string, limit: number): Promise<ChildrenPage | null> {
  try {
    return await getJson(`/api/children?${query({ path, offset: 0, limit })}`, ChildrenPageSchema);
  } catch {
    return null;
  }
}

async function loadRecipes(root: string): Promise<RecipeData> {
  const [election, queue, assign] = await Promise.all([
    page(childPath(root, 'election'), 100),
    page(childPath(root, 'queue'), 20),
    page(childPath(root, 'assign'), 50),
  ]);
  const tasks = await Promise.all(
    (assign?.children ?? []).map(async (w) => ({ worker: w.name, tasks: await page(w.path, 10) })),
  );
  return {
    election,
    queue,
    assign: tasks.flatMap((t) => (t.tasks === null ? [] : [{ worker: t.worker, tasks: t.tasks }])),
  };
}

/** The election, the queue and the assignments drawn as what they mean. */
export function RecipeOverlay() {
  const root = useSignal(hello)?.root ?? '/';
  const tick = useSignal(recipeTick);
  const sessions = useSignal(snapshot)?.sessions ?? [];
  const watched = useSignal(fanouts);
  const [data, setData] = useState<RecipeData | null>(null);
  const lastLoad = useRef(0);
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);
  useEffect(() => {
    // At most one reload a second, however fast the recipes' nodes change.
    const wait = Math.max(0, lastLoad.current + 1000 - Date.now());
    const timer = setTimeout(() => {
      lastLoad.current = Date.now();
      loadRecipes(root).then((next) => mounted.current && setData(next), reportError);
    }, wait);
    return () => clearTimeout(timer);
  }, [root, tick]);
  const appOf = (session: string) => sessions.find((s) => s.id === session)?.owner ?? null;
  const election = inSequence(data?.election?.children ?? [], appOf);
  const waiters = Math.max(0, election.length - 1);
  const cost = herd(waiters);
  return (
    <section className="recipes" aria-label="recipe overlay">
      <div className="recipe-grid">
        <article className="recipe">
          <h3>Election (leader latch)</h3>
          <p className="small muted">
            Each master creates an ephemeral sequential node. The lowest leads; every other one
            watches only the node just before its own.
          </p>
          <ol className="chain">
            {election.map((p, i) => (
              <li key={p.name} className={i === 0 ? 'leads' : ''}>
                <a
                  href="#"
                  onClick={(event) => {
                    event.preventDefault();
                    void goTo(childPath(childPath(root, 'election'), p.name));
                  }}
                >
                  <code>…{String(p.sequence ?? p.name).slice(-4)}</code>
                </a>{' '}
                <strong>{p.app ?? p.owner ?? '?'}</strong>{' '}
                {i === 0 ? (
                  <span className="badge ok">leads</span>
                ) : (
                  <span className="small muted">
                    watches …{String(election[i - 1]?.sequence ?? '').slice(-4)} ↑
                  </span>
                )}
              </li>
            ))}
            {election.length === 0 && <li className="muted small">no participants</li>}
          </ol>
          <div className="grid herd">
            <div>
              <strong>Predecessor watch</strong>
              <p className="small">
                When the leader goes, <strong>{cost.predecessor}</strong> watcher wakes: its
                successor, which now leads.
              </p>
            </div>
            <div>
              <strong>Naive lock (the herd)</strong>
              <p className="small">
                If all {waiters} waiters watched one lock node, each release would wake all{' '}
                <strong>{cost.naive}</strong>, and all would race to create it again;{' '}
                {Math.max(0, cost.naive - 1)} lose.
              </p>
            </div>
          </div>
        </article>
        <article className="recipe">
          <h3>Queue, in order</h3>
          <p className="small muted">
            {data?.queue?.total ?? 0} waiting; the leader assigns from the lowest sequence up.
          </p>
          <ol className="queue-order">
            {inSequence(data?.queue?.children ?? [], appOf).map((p) => (
              <li key={p.name}>
                <code>{p.name}</code>
              </li>
            ))}
          </ol>
        </article>
        <article className="recipe">
          <h3>Assignments</h3>
          <p className="small muted">
            The leader writes /assign/&lt;worker&gt;/&lt;job&gt;; each worker watches its own
            folder.
          </p>
          <ul>
            {data?.assign.map(({ worker, tasks }) => (
              <li key={worker}>
                <strong>{worker}</strong>:{' '}
                {tasks.total === 0 ? (
                  <span className="muted">idle</span>
                ) : (
                  tasks.children.map((t) => <code key={t.name}>{t.name} </code>)
                )}
              </li>
            ))}
          </ul>
        </article>
        {watched.length > 0 && (
          <article className="recipe">
            <h3>Watch fan-out</h3>
            <p className="small muted">Who a change notifies (from the servers&apos; wchp).</p>
            <ul>
              {watched.slice(0, 8).map((f) => (
                <li key={`${f.time}${f.path}`} className="small">
                  <code>{f.path}</code>: {f.watchers.length} watcher
                  {f.watchers.length === 1 ? '' : 's'}{' '}
                  <span className="muted">
                    {f.watchers.map((w) => `${w.session}@zk${w.server}`).join(', ')}
                  </span>
                </li>
              ))}
            </ul>
          </article>
        )}
      </div>
    </section>
  );
}
