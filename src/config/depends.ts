/**
 * `depends_on` across watchers and tasks: every name resolved (case-insensitively) to the
 * exact name of a watcher or a start task, and the graph checked for cycles.
 *
 * Errors, each naming the names: an unknown name (with a "did you mean"), a name that is a
 * scheduled task or a `when: stop` task (nothing can wait for them), a section that names
 * itself, a `depends_on` on a stop or scheduled task (they wait for nothing), and each
 * cycle, whole (`a -> b -> a`).
 *
 * The cycle check is an iterative depth-first search (an explicit stack, no recursion): a
 * chain of thousands of dependencies costs a few arrays, never the call stack.
 */
import { issue } from './errors.js';
import { MAX_LISTED_ISSUES, MAX_TASKS, MAX_WATCHERS } from './limits.js';
import { didYouMean } from './suggest.js';
import { dotted, posOf, type Path, type RawSource } from './tree.js';
import type { ConfigIssue, TaskConfig, WatcherConfig } from './types.js';

/** A watcher or a task, as the dependency graph sees it. */
export type Dependent = { kind: 'watcher'; config: WatcherConfig } | { kind: 'task'; config: TaskConfig };

/** The longest depends_on: every watcher and task there can be, once each. */
export const MAX_DEPENDS_ON = MAX_WATCHERS + MAX_TASKS;
/** Cycles reported one by one; the rest are counted. */
const MAX_CYCLES_LISTED = 10;
/** Names of a cycle shown before the middle of it is elided. */
const MAX_CYCLE_NAMES = 20;

function pathOf(d: Dependent): Path {
  return [d.kind === 'watcher' ? 'watchers' : 'tasks', d.config.name];
}

/** Why nothing can depend on this, or undefined. */
function notWaitable(d: Dependent): string | undefined {
  if (d.kind === 'watcher') return undefined;
  if (d.config.schedule !== undefined) return 'which is a scheduled task: it runs only on its schedule';
  if (d.config.when === 'stop') return 'which runs at stop (when: stop), after every watcher stopped';
  return undefined;
}

/**
 * Resolve every `depends_on` in place (names become their target's exact name, each once)
 * and return the problems found.
 */
export function resolveDependencies(all: readonly Dependent[], src: RawSource): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const byLower = new Map<string, Dependent>();
  for (const d of all) byLower.set(d.config.name.toLowerCase(), d);
  const names = all.map((d) => d.config.name);
  const edges = new Map<Dependent, Dependent[]>();
  let reported = 0;

  for (const d of all) {
    const path = [...pathOf(d), 'depends_on'];
    const key = dotted(path);
    const written = d.config.depends_on;
    const report = (i: number, text: () => string, code: ConfigIssue['code'] = 'RM_CONFIG_REFERENCE'): void => {
      // a hostile list of thousands of unknown names: the first ones said (each costs a "did you mean"), the rest counted
      if (++reported <= MAX_LISTED_ISSUES) issues.push(issue(code, key, `${key} ${text()}`, posOf(src, [...path, String(i)]), written[i]));
    };
    if (written.length > MAX_DEPENDS_ON) {
      const text = `${key} lists ${written.length} names, more than there can be watchers and tasks (${MAX_DEPENDS_ON}); name each one once`;
      issues.push(issue('RM_CONFIG_VALUE', key, text, posOf(src, path), written.length));
      d.config.depends_on = [];
      continue;
    }
    if (written.length > 0 && d.kind === 'task' && notWaitable(d) !== undefined) {
      const what = d.config.schedule !== undefined ? 'a scheduled task runs on its schedule' : 'a when: stop task runs at shutdown, after every watcher stopped';
      issues.push(issue('RM_CONFIG_CONFLICT', key, `${key}: ${what}, so it waits for nothing; remove depends_on`, posOf(src, path), written));
      d.config.depends_on = [];
      continue;
    }
    const resolved = new Set<Dependent>(); // in the order written, each once
    for (const [i, name] of written.entries()) {
      const target = byLower.get(name.toLowerCase());
      if (target === d) {
        report(i, () => `names "${name}", itself: a watcher or task cannot wait for itself; remove it`, 'RM_CONFIG_CONFLICT');
        continue;
      }
      if (target === undefined) {
        report(i, () => {
          const hint = didYouMean(name, names) || (names.length <= 10 ? `; the watchers and tasks are ${names.join(', ')}` : '; define it under watchers or tasks');
          return `names "${name}", which is not a watcher or a task${hint}`;
        });
        continue;
      }
      const why = notWaitable(target);
      if (why !== undefined) {
        report(i, () => `names task "${target.config.name}", ${why}, so nothing can wait for it; remove it from depends_on`);
        continue;
      }
      resolved.add(target);
    }
    d.config.depends_on = [...resolved].map((t) => t.config.name);
    edges.set(d, [...resolved]);
  }
  if (reported > MAX_LISTED_ISSUES) {
    issues.push(issue('RM_CONFIG_REFERENCE', '', `${reported - MAX_LISTED_ISSUES} more depends_on problems are not listed (the first ${MAX_LISTED_ISSUES} are)`, undefined));
  }
  issues.push(...cycleIssues(all, edges, src));
  return issues;
}

/**
 * One issue per cycle found (a back edge of the depth-first search), on the first member
 * of the cycle in `all`'s order.
 */
function cycleIssues(all: readonly Dependent[], edges: ReadonlyMap<Dependent, readonly Dependent[]>, src: RawSource): ConfigIssue[] {
  const cycles = findCycles(all, (d) => edges.get(d) ?? []);
  const out: ConfigIssue[] = [];
  for (const cycle of cycles.slice(0, MAX_CYCLES_LISTED)) {
    const first = cycle[0] as Dependent;
    const path = [...pathOf(first), 'depends_on'];
    const text = `${dotted(path)}: a dependency cycle, ${cycleText(cycle.map((d) => d.config.name))}: nothing in it could ever start; remove one of these dependencies`;
    out.push(issue('RM_CONFIG_CONFLICT', dotted(path), text, posOf(src, path), first.config.depends_on));
  }
  if (cycles.length > MAX_CYCLES_LISTED) {
    out.push(issue('RM_CONFIG_CONFLICT', '', `${cycles.length - MAX_CYCLES_LISTED} more dependency cycles are not listed (the first ${MAX_CYCLES_LISTED} are)`, undefined));
  }
  return out;
}

/** `a -> b -> a`; a long cycle with its middle elided (`a -> b -> ... (980 more) -> y -> z -> a`). */
export function cycleText(names: readonly string[]): string {
  const shown =
    names.length <= MAX_CYCLE_NAMES
      ? names
      : [...names.slice(0, MAX_CYCLE_NAMES / 2), `... (${names.length - MAX_CYCLE_NAMES} more)`, ...names.slice(-MAX_CYCLE_NAMES / 2)];
  return [...shown, names[0]].join(' -> ');
}

/**
 * The cycles of a directed graph, each as its members in edge order (the last one's edge
 * leads back to the first), found by an iterative depth-first search from each node in
 * `nodes` order: one cycle per back edge, O(nodes + edges), no recursion.
 */
export function findCycles<T>(nodes: readonly T[], next: (n: T) => readonly T[]): T[][] {
  const WHITE = 0;
  const GRAY = 1;
  const BLACK = 2;
  const color = new Map<T, number>();
  const cycles: T[][] = [];
  for (const root of nodes) {
    if ((color.get(root) ?? WHITE) !== WHITE) continue;
    /** the current path: each node with the index of its next edge to follow */
    const stack: Array<{ node: T; edge: number }> = [{ node: root, edge: 0 }];
    /** where each gray node is on the stack, to cut a cycle out of it */
    const depth = new Map<T, number>([[root, 0]]);
    color.set(root, GRAY);
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as { node: T; edge: number };
      const out = next(top.node);
      if (top.edge >= out.length) {
        color.set(top.node, BLACK);
        depth.delete(top.node);
        stack.pop();
        continue;
      }
      const to = out[top.edge++] as T;
      const c = color.get(to) ?? WHITE;
      if (c === WHITE) {
        color.set(to, GRAY);
        depth.set(to, stack.length);
        stack.push({ node: to, edge: 0 });
      } else if (c === GRAY) {
        cycles.push(stack.slice(depth.get(to) as number).map((s) => s.node));
      }
    }
  }
  return cycles;
}
