import type { ChangeEvent } from './event.js';

/** The span of time a report asks its change sources about: ISO instants, [from, to). */
export interface ChangeWindow {
  from: string;
  to: string;
}

/** What one source read; `warning` is shown next to the source's name (it was read, with a caveat). */
export interface SourceResult {
  events: ChangeEvent[];
  warning?: string;
}
