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
