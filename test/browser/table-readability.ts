import type { Locator } from 'playwright-core';

// What "a table the console can read" means, measured in the browser on the rendered DOM: each table line is one
// monospace inline code element that does not wrap (one client rect) and ends inside the pane (nothing hidden),
// and within one table every line's column bars "|" stand at the same x positions (aligned).

export interface TableReadability {
  tables: number;
  lines: number;
  problems: string[];
}

export async function tableReadability(pane: Locator): Promise<TableReadability> {
  return pane.evaluate((root: HTMLElement) => {
    const problems: string[] = [];
    const paneRight = root.getBoundingClientRect().right;
    // A table is a run of code lines that begin with "|" inside one text block.
    const blocks = new Set<Element>();
    for (const code of Array.from(root.querySelectorAll('code'))) {
      if ((code.textContent ?? '').startsWith('|') && code.parentElement) blocks.add(code.parentElement);
    }
    let lines = 0;
    for (const block of blocks) {
      const codes = Array.from(block.querySelectorAll('code')).filter((c) => (c.textContent ?? '').startsWith('|'));
      let bars: number[] | null = null;
      for (const code of codes) {
        lines++;
        const text = code.textContent ?? '';
        const where = `"${text.replace(/\u00a0/g, ' ').slice(0, 60)}"`;
        const font = getComputedStyle(code).fontFamily.toLowerCase();
        if (!/mono|courier|consolas/.test(font)) problems.push(`${where}: font ${font} is not monospace`);
        if (code.getClientRects().length !== 1) problems.push(`${where}: wraps over ${code.getClientRects().length} lines`);
        if (code.getBoundingClientRect().right > paneRight + 0.5) problems.push(`${where}: ends ${Math.round(code.getBoundingClientRect().right - paneRight)} px outside the pane`);
        const node = code.firstChild;
        if (!node || node.nodeType !== Node.TEXT_NODE) continue;
        const xs: number[] = [];
        const range = document.createRange();
        for (let i = 0; i < text.length; i++) {
          if (text[i] !== '|') continue;
          range.setStart(node, i);
          range.setEnd(node, i + 1);
          xs.push(Math.round(range.getBoundingClientRect().left));
        }
        if (bars === null) bars = xs;
        else if (xs.length !== bars.length || xs.some((x, i) => Math.abs(x - (bars as number[])[i]!) > 1)) problems.push(`${where}: column bars at ${xs.join(',')}, header's at ${bars.join(',')}`);
      }
    }
    return { tables: blocks.size, lines, problems };
  });
}

export interface TableImageState {
  title: string;
  naturalWidth: number;
  naturalHeight: number;
  right: number;
  paneRight: number;
}

/** The image files in the pane other than the chart: their titles, full sizes and where their thumbnails end. */
export async function tableImageStates(pane: Locator): Promise<TableImageState[]> {
  const images = pane.locator('.file-image');
  await images.last().locator('img').evaluate((img: HTMLImageElement) => (img.complete ? null : new Promise((r) => img.addEventListener('load', r, { once: true }))));
  return pane.evaluate(async (root: HTMLElement) => {
    const paneRight = root.getBoundingClientRect().right;
    const out: TableImageState[] = [];
    for (const el of Array.from(root.querySelectorAll('.file-image'))) {
      const img = el.querySelector('img') as HTMLImageElement | null;
      const title = el.querySelector('.file-image-name')?.textContent ?? '';
      if (!img || /missing rate/i.test(title)) continue;
      if (!img.complete) await new Promise((r) => img.addEventListener('load', r, { once: true }));
      out.push({ title, naturalWidth: img.naturalWidth, naturalHeight: img.naturalHeight, right: img.getBoundingClientRect().right, paneRight });
    }
    return out;
  });
}

/** The text of a file attached in the pane, by its title (fetched from its link, as a click would). */
export async function fileText(pane: Locator, title: string): Promise<string> {
  const link = pane.locator('a.file-card-body', { hasText: title }).first();
  const href = await link.getAttribute('href');
  if (!href) throw new Error(`no file titled ${title} in the pane`);
  return pane.page().evaluate(async (u) => (await fetch(u)).text(), href);
}
