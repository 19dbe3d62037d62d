import type { GapReport } from '../core/report.js';
import { changeWindowFor, correlateFindings } from '../../changes/correlate.js';
import type { ChangesLoader } from '../../changes/loader.js';

// After the analysis: ask the change sources about the report's span and place each finding among the changes.
// Never throws: the loader names failed sources instead, and an unexpected failure marks every source unavailable.

export async function attachChanges(report: GapReport, load: ChangesLoader | undefined): Promise<GapReport> {
  if (!load) return report;
  const window = changeWindowFor(report);
  let loaded: Awaited<ReturnType<ChangesLoader>>;
  try {
    loaded = await load(window);
  } catch {
    loaded = { events: [], sources: [{ name: 'changes', available: false, error: 'the change sources could not be read' }] };
  }
  return {
    ...report,
    findings: correlateFindings(report.findings, loaded.events),
    changes: loaded.events,
    changeSources: loaded.sources,
  };
}
