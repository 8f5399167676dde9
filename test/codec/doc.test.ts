import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../support/shared.js';
import { decodeMessage, encodeBatch, encodeGap, encodeRecord, encodeStreamHeader, type Gap, type StreamHeader, type TelemetryRecord } from '../../src/codec/index.js';
import { hex } from '../support/codec-cborx.js';

/**
 * docs/PROTOCOL.md cannot rot: each `json example=NAME` block is encoded with the
 * real encoder and must give the bytes of the `cbor-hex example=NAME` block.
 */
const doc = readFileSync(join(repoRoot, 'docs', 'PROTOCOL.md'), 'utf8');

function blocks(lang: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of doc.matchAll(new RegExp('```' + lang + ' example=(\\w+)\\n([\\s\\S]*?)```', 'g'))) out.set(m[1]!, m[2]!);
  return out;
}

const inputs = blocks('json');
const hexes = blocks('cbor-hex');
const ENCODERS: Record<string, (text: string) => Uint8Array> = {
  record: (t) => encodeRecord(JSON.parse(t) as TelemetryRecord),
  batch: (t) => encodeBatch(t.trim().split('\n').map((l) => JSON.parse(l) as TelemetryRecord)),
  gap: (t) => encodeGap(JSON.parse(t) as Gap),
  header: (t) => encodeStreamHeader(JSON.parse(t) as StreamHeader),
};

describe('docs/PROTOCOL.md worked examples', () => {
  it('has an input and a hex listing for every kind of message', () => {
    expect([...inputs.keys()].sort()).toEqual(Object.keys(ENCODERS).sort());
    expect([...hexes.keys()].sort()).toEqual(Object.keys(ENCODERS).sort());
  });

  it.each(Object.keys(ENCODERS))('the %s example is what the encoder writes, and decodes back to its input', (name) => {
    const text = inputs.get(name)!;
    const bytes = ENCODERS[name]!(text);
    const listed = hexes.get(name)!.split('\n').map((l) => l.replace(/#.*/, '').replace(/\s+/g, '')).join('');
    expect(listed).toBe(hex(bytes));
    const m = decodeMessage(bytes);
    const back = m.kind === 'record' ? m.record : m.kind === 'batch' ? m.records : m.kind === 'gap' ? m.gap : m.header;
    const expected = name === 'batch' ? text.trim().split('\n').map((l) => JSON.parse(l) as unknown) : JSON.parse(text);
    expect(back).toEqual(expected);
  });

  it('states the sizes the examples really have', () => {
    expect(doc).toContain(`all vehicle fields, ${ENCODERS.record!(inputs.get('record')!).length} bytes`);
    const batch = ENCODERS.batch!(inputs.get('batch')!);
    expect(doc).toContain(`${batch.length} bytes, ${(batch.length / 6).toFixed(1)} bytes per`);
  });

  it('keeps the heading the link work fills in', () => {
    expect(doc).toMatch(/^# Part 2: geostream\/1\.0 session protocol$/m);
  });
});
