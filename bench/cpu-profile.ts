/**
 * Where a V8 CPU profile of the Latchkey server says its busy time went. Samples of an idle
 * event loop and of start-up (module loading) are left out, so each share is of the time spent
 * serving. Two views: self time by package (or by our own compiled file), and every busy sample
 * charged to the innermost Latchkey function on its stack, which tells which of our functions
 * caused the work, whichever library or Node.js internal then did it.
 */
export interface CpuProfile {
  readonly nodes: ReadonlyArray<{ readonly id: number; readonly callFrame: CallFrame; readonly children?: readonly number[] }>;
  readonly samples: readonly number[];
}

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

const NOT_SERVING = new Set(['(idle)', '(program)']);
const LOADING = /^(Module\._load|loadAndTranslate|compileSourceTextModule|ModuleJob\.run|moduleEvaluation)$/;

/** A package name for a file in node_modules, `dist/...` for ours, the frame's name for V8's own. */
function placeOf(frame: CallFrame): string {
  if (!frame.url) return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  const inPackage = frame.url.split('node_modules/').at(-1) ?? frame.url;
  if (inPackage !== frame.url) {
    const parts = inPackage.split('/');
    return (parts[0]?.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/');
  }
  if (frame.url.startsWith('node:')) return frame.url.split('/').slice(0, 2).join('/');
  return frame.url.replace(/^.*\/dist\//, 'dist/');
}

function ranked(counts: ReadonlyMap<string, number>, total: number, top: number): string[] {
  return [...counts].sort((a, b) => b[1] - a[1]).slice(0, top).map(([key, count]) => `${((100 * count) / total).toFixed(1).padStart(5)}% ${key}`);
}

export function summariseCpuProfile(profile: CpuProfile, top = 15): string[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const selfByPlace = new Map<string, number>();
  const byOurFunction = new Map<string, number>();
  let busy = 0;
  for (const sample of profile.samples) {
    const leaf = byId.get(sample)?.callFrame;
    if (!leaf || NOT_SERVING.has(leaf.functionName)) continue;
    let ours: string | undefined;
    let loading = false;
    for (let id: number | undefined = sample; id !== undefined; id = parentOf.get(id)) {
      const frame = byId.get(id)?.callFrame;
      if (!frame) break;
      if (LOADING.test(frame.functionName)) loading = true;
      if (ours === undefined && frame.url.includes('/dist/') && !frame.url.includes('node_modules/')) ours = `${frame.functionName || '(anonymous)'} ${placeOf(frame)}:${frame.lineNumber + 1}`;
    }
    if (loading) continue;
    busy += 1;
    const place = placeOf(leaf);
    selfByPlace.set(place, (selfByPlace.get(place) ?? 0) + 1);
    const charged = ours ?? `(no Latchkey frame: ${place})`;
    byOurFunction.set(charged, (byOurFunction.get(charged) ?? 0) + 1);
  }
  if (busy === 0) return [];
  return [
    `${busy} busy samples; shares are of those.`,
    '',
    'Self time by package or file:',
    ...ranked(selfByPlace, busy, top),
    '',
    'Charged to the innermost Latchkey function on the stack:',
    ...ranked(byOurFunction, busy, top),
  ];
}
