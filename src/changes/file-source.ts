import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import type { FileChangeSourceConfig } from '../config/changes-schema.js';
import { inWindow, parseProvidedEvents } from './provided-events.js';
import type { ChangeWindow, SourceResult } from './source.js';

// Changes kept by hand or by another tool: a YAML list of { at, title, kind, link }.

export async function readFileSource(cfg: FileChangeSourceConfig, window: ChangeWindow): Promise<SourceResult> {
  let text: string;
  try {
    text = await readFile(cfg.path, 'utf8');
  } catch {
    throw new Error(`cannot read ${cfg.path}`);
  }
  let data: unknown;
  try {
    // YAML 1.2 core schema: timestamps stay strings, so a time without a zone is refused instead of guessed.
    data = parse(text) ?? [];
  } catch (err) {
    throw new Error(`${cfg.path} is not valid YAML: ${err instanceof Error ? err.message.split('\n')[0] : ''}`);
  }
  return { events: inWindow(parseProvidedEvents(data, cfg.name, cfg.path), window) };
}
