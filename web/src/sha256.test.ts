// The streaming SHA-256 that "Verify" uses, against Node's own over edge lengths and chunkings.
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { Sha256, sha256OfStream } from './sha256';

const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 131 + 7) & 0xff);
const node = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('sha256', () => {
  it('matches known answers', () => {
    expect(new Sha256().hex()).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(new Sha256().update(new TextEncoder().encode('abc')).hex()).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
  it('matches node:crypto for lengths around block edges, in any chunking', () => {
    for (const n of [1, 55, 56, 63, 64, 65, 119, 120, 127, 128, 1000, 70_001]) {
      const data = bytes(n);
      expect(new Sha256().update(data).hex()).toBe(node(data));
      const h = new Sha256();
      for (let i = 0; i < n; i += 37) h.update(data.subarray(i, i + 37));
      expect(h.hex()).toBe(node(data));
    }
  });
  it('hashes a stream and reports its progress', async () => {
    const data = bytes(200_000);
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < data.length; i += 65_536) c.enqueue(data.subarray(i, i + 65_536));
        c.close();
      },
    });
    const seen: number[] = [];
    expect(await sha256OfStream(stream, (n) => seen.push(n))).toBe(node(data));
    expect(seen.at(-1)).toBe(200_000);
  });
});
