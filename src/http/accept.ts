/**
 * Which exposition format a scraper's Accept header asks for. Prometheus sends
 * `application/openmetrics-text;version=1.0.0;q=0.5,...,text/plain;version=0.0.4;q=0.3,*\/*;q=0.2`;
 * curl sends `*\/*`; some send nothing. OpenMetrics is served when it is named
 * (`application/openmetrics-text`, any version, or `application/*`) with a q at least that
 * of the text format (`text/plain`, `text/*`, `*\/*`); else the text format, the default.
 */
export type ExpositionFormat = 'text' | 'openmetrics';

/** q of one media range: 1 when absent, 0 when not a number in [0, 1] (the range is then ignored). */
function qOf(params: string[]): number {
  for (const p of params) {
    const m = /^\s*q\s*=\s*([^\s]*)\s*$/i.exec(p);
    if (!m) continue;
    const q = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/.test(m[1] as string) ? Number(m[1]) : 0;
    return q;
  }
  return 1;
}

/** The format to answer `accept` (the request's Accept header) with. */
export function negotiateExposition(accept: string | readonly string[] | undefined): ExpositionFormat {
  if (accept === undefined) return 'text';
  const header = typeof accept === 'string' ? accept : accept.join(',');
  let om = 0;
  let text = 0;
  for (const range of header.split(',')) {
    const [type = '', ...params] = range.split(';');
    const t = type.trim().toLowerCase();
    const q = qOf(params);
    if (t === 'application/openmetrics-text' || t === 'application/*') om = Math.max(om, q);
    else if (t === 'text/plain' || t === 'text/*' || t === '*/*') text = Math.max(text, q);
  }
  return om > 0 && om >= text ? 'openmetrics' : 'text';
}
