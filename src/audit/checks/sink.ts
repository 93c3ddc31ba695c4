// Collects findings of one page: one per code (the first detail wins), severity from the catalogue.
import { CHECKS_BY_CODE, type PageCheckCode } from '../catalogue';
import type { Finding } from '../types';
import { copyString, truncate } from '../text';

/** Details are for people: short, and never a view into the page's HTML string. */
const MAX_DETAIL = 200;

export class FindingSink {
  private readonly byCode = new Map<PageCheckCode, string | undefined>();

  add(code: PageCheckCode, detail?: string): void {
    if (this.byCode.has(code)) return;
    this.byCode.set(code, detail === undefined ? undefined : copyString(truncate(detail, MAX_DETAIL)));
  }

  has(code: PageCheckCode): boolean {
    return this.byCode.has(code);
  }

  /** Sorted by code, so equal pages give equal arrays. */
  findings(): Finding[] {
    const codes = [...this.byCode.keys()].sort();
    return codes.map((code) => {
      const def = CHECKS_BY_CODE[code];
      const f: Finding = { code, severity: def.severity };
      const detail = this.byCode.get(code);
      if (detail !== undefined) f.detail = detail;
      return f;
    });
  }
}
