import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, ftruncateSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../src/util/dataDir.js';
import {
  SAFETENSORS_DTYPES,
  SAFETENSORS_ITEM_SIZE,
  SafetensorsError,
  SafetensorsFile,
  type SafetensorsDtype,
  type SafetensorsTensor,
  bytesOf,
  decodeSafetensors,
  encodeSafetensors,
  readSafetensors,
  readSafetensorsHeader,
  typedView,
  withSafetensorsFile,
  writeSafetensors,
} from '../../src/tensor/safetensors.js';

const FIX = join(projectRoot(), 'test', 'fixtures', 'safetensors');

interface ExpectedFile {
  metadata: Record<string, string>;
  order: string[];
  tensors: Array<{ name: string; dtype: SafetensorsDtype; shape: number[]; hex: string }>;
  byteLength: number;
}
interface Expected {
  files: Record<string, ExpectedFile>;
  values: { F64: number[]; F32: number[]; F16_bits: number[]; BF16_bits: number[]; I64: string[]; U64: string[] };
}
const expected = JSON.parse(readFileSync(join(FIX, 'expected.json'), 'utf8')) as Expected;

function tensorsOf(f: ExpectedFile): SafetensorsTensor[] {
  return f.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, data: Buffer.from(t.hex, 'hex') }));
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'polyret-st-'));
}

test('reference files: the writer reproduces them byte for byte, the reader recovers every tensor', () => {
  const names = Object.keys(expected.files);
  // Every dtype we support has a reference file.
  for (const d of SAFETENSORS_DTYPES) if (d !== 'F8_E8M0') assert.ok(names.includes(`dtype_${d}.safetensors`), d);
  for (const [fname, f] of Object.entries(expected.files)) {
    const ref = readFileSync(join(FIX, fname));
    assert.equal(ref.byteLength, f.byteLength);
    const ours = encodeSafetensors(tensorsOf(f), Object.keys(f.metadata).length ? f.metadata : undefined);
    assert.ok(Buffer.from(ours).equals(ref), `${fname}: encoded bytes differ from the reference`);

    const { tensors, metadata } = readSafetensors(join(FIX, fname));
    assert.deepEqual(metadata, f.metadata);
    assert.deepEqual(tensors.map((t) => t.name), f.order, `${fname}: data order`);
    for (const want of f.tensors) {
      const got = tensors.find((t) => t.name === want.name);
      assert.ok(got, `${fname}: ${want.name} missing`);
      assert.equal(got.dtype, want.dtype);
      assert.deepEqual(got.shape, want.shape);
      assert.equal(Buffer.from(got.data).toString('hex'), want.hex, `${fname}: ${want.name} bytes`);
    }
  }
});

test('typed views decode the reference values', () => {
  const r = (d: string) => readSafetensors(join(FIX, `dtype_${d}.safetensors`)).tensors[0]!;
  const f64 = r('F64');
  assert.deepEqual([...(typedView(f64.dtype, f64.data) as Float64Array)], expected.values.F64);
  const f32 = r('F32');
  assert.deepEqual([...(typedView(f32.dtype, f32.data) as Float32Array)], expected.values.F32);
  assert.deepEqual([...(typedView('F16', r('F16').data) as Uint16Array)], expected.values.F16_bits);
  assert.deepEqual([...(typedView('BF16', r('BF16').data) as Uint16Array)], expected.values.BF16_bits);
  assert.deepEqual([...(typedView('I64', r('I64').data) as BigInt64Array)].map(String), expected.values.I64);
  assert.deepEqual([...(typedView('U64', r('U64').data) as BigUint64Array)].map(String), expected.values.U64);
  // bf16 is the top half of the f32 bit pattern (rounded): check the relation independently of torch.
  const f32bits = new Uint32Array(new Float32Array(expected.values.F32).buffer);
  const bf = expected.values.BF16_bits;
  for (let i = 0; i < bf.length; i++) assert.ok(Math.abs(bf[i]! - (f32bits[i]! >>> 16)) <= 1, `bf16 ${i}`);
});

test('legacy unpadded header from the reference docs is read', () => {
  const { tensors } = readSafetensors(join(FIX, 'legacy_unpadded.safetensors'));
  assert.equal(tensors.length, 1);
  assert.deepEqual(tensors[0]!.shape, [2, 2]);
  assert.deepEqual([...(typedView('I32', tensors[0]!.data) as Int32Array)], [0, 0, 0, 0]);
});

test('round trip of every dtype through writeSafetensors / SafetensorsFile', () => {
  const dir = tmp();
  try {
    const tensors: SafetensorsTensor[] = SAFETENSORS_DTYPES.map((dtype, i) => {
      const shape = [i % 3 + 1, 2];
      const data = new Uint8Array(shape[0]! * 2 * SAFETENSORS_ITEM_SIZE[dtype]);
      for (let j = 0; j < data.length; j++) data[j] = (j * 37 + i * 11) & 0xff;
      return { name: `layer.${i}.${dtype}`, dtype, shape, data };
    });
    const p = join(dir, 'all.safetensors');
    writeSafetensors(p, tensors, { step: '12' });
    withSafetensorsFile(p, (f) => {
      assert.equal(f.names().length, tensors.length);
      assert.deepEqual(f.metadata, { step: '12' });
      for (const t of tensors) {
        const info = f.info(t.name);
        assert.equal(info.dtype, t.dtype);
        assert.deepEqual(info.shape, t.shape);
        assert.equal(info.byteLength, t.data.byteLength);
        assert.deepEqual(f.read(t.name), t.data);
        // Data is 8-byte aligned in the file, as the format intends.
        assert.equal((f.header.dataStart + info.dataOffsets[0]) % 8 === 0 || SAFETENSORS_ITEM_SIZE[t.dtype] < 8, true);
      }
    });
    // Deterministic: input order does not matter.
    const again = encodeSafetensors([...tensors].reverse(), { step: '12' });
    assert.ok(Buffer.from(again).equals(readFileSync(p)));
    // In-memory decode gives the same.
    const dec = decodeSafetensors(again);
    assert.equal(dec.tensors.length, tensors.length);
    assert.deepEqual(new Uint8Array(dec.tensors.find((t) => t.name === 'layer.0.BOOL')!.data), tensors[0]!.data);
    // A typed array as input.
    const w = new Float32Array([1, 2, 3]);
    const d2 = decodeSafetensors(encodeSafetensors([{ name: 'w', dtype: 'F32', shape: [3], data: bytesOf(w) }]));
    assert.deepEqual([...(typedView('F32', d2.tensors[0]!.data) as Float32Array)], [1, 2, 3]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A header + data image with an arbitrary (possibly lying) header. */
function image(header: unknown, dataBytes: number, rawHeader?: string): Buffer {
  const json = Buffer.from(rawHeader ?? JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, Buffer.alloc(dataBytes)]);
}

function expectError(buf: Buffer, pattern: RegExp, name = 'bad.safetensors'): void {
  const dir = tmp();
  try {
    const p = join(dir, name);
    writeFileSync(p, buf);
    for (const attempt of [() => readSafetensorsHeader(p), () => new SafetensorsFile(p)]) {
      assert.throws(attempt, (err: unknown) => {
        assert.ok(err instanceof SafetensorsError, `not a SafetensorsError: ${String(err)}`);
        assert.ok(err.message.includes(p), `message does not name the file: ${err.message}`);
        assert.match(err.message, pattern);
        return true;
      });
    }
    assert.throws(() => decodeSafetensors(buf, 'mem'), pattern);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('bad input: each corruption gives a clear error naming the file and tensor', () => {
  const good = { w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] } };
  expectError(Buffer.from([1, 2, 3]), /too short/);
  expectError(image(good, 16).subarray(0, 20), /header length \d+ runs past the end of the file/);
  expectError(image(good, 8), /tensor 'w'.*\[0, 16\] run past the end of the data \(8 bytes; file truncated\?\)/);
  expectError(image(good, 24), /cover 16 bytes of data but 24 bytes follow the header/);
  expectError(image(null, 0, '{"w": {"dtype": "F32", '), /not valid JSON/);
  expectError(image(null, 0, '[1, 2]'), /does not start with '\{'/);
  expectError(image({ w: { dtype: 'F33', shape: [1], data_offsets: [0, 4] } }, 4), /tensor 'w': unknown dtype "F33"/);
  expectError(image({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 16] } }, 16), /tensor 'w'.*span 16 bytes but F32\[3\] needs 12/);
  expectError(image({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4), /tensor 'w': shape must be/);
  expectError(image({ w: { dtype: 'F32', shape: [1], data_offsets: [4] } }, 4), /tensor 'w': data_offsets must be/);
  expectError(
    image({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, 12),
    /tensor 'b'.*overlapping tensor 'a'/,
  );
  expectError(
    image({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, 12),
    /tensor 'b'.*gap after tensor 'a'/,
  );
  expectError(image({ __metadata__: { a: 1 } }, 0), /__metadata__\.a must be a string/);
  const huge = Buffer.alloc(16);
  huge.writeBigUInt64LE(2n ** 62n);
  expectError(huge, /exceeds the 100000000-byte limit/);
  const badUtf8 = image(null, 0, '{"a":1}');
  badUtf8[10] = 0xff;
  expectError(badUtf8, /not valid UTF-8/);
});

test('writer refuses inconsistent tensors', () => {
  const f32 = new Uint8Array(8);
  assert.throws(() => encodeSafetensors([{ name: 'w', dtype: 'F32', shape: [3], data: f32 }]), /tensor 'w': 8 bytes of data but F32\[3\] needs 12/);
  assert.throws(() => encodeSafetensors([{ name: 'w', dtype: 'X' as SafetensorsDtype, shape: [2], data: f32 }]), /unknown dtype "X"/);
  assert.throws(
    () => encodeSafetensors([{ name: 'w', dtype: 'F32', shape: [2], data: f32 }, { name: 'w', dtype: 'F32', shape: [2], data: f32 }]),
    /tensor 'w' given twice/,
  );
  assert.throws(() => encodeSafetensors([{ name: '__metadata__', dtype: 'F32', shape: [2], data: f32 }]), /reserved/);
});

test('lookups and use after close fail clearly', () => {
  const f = new SafetensorsFile(join(FIX, 'dtype_F32.safetensors'));
  assert.throws(() => f.read('nope'), /dtype_F32\.safetensors: no tensor named 'nope'/);
  f.close();
  assert.throws(() => f.read('x_f32'), /after close/);
});

test('large files are read on demand, not loaded whole', () => {
  // A sparse 1 GiB file: a huge U8 tensor and a small one after it. Reading the header and the small tensor
  // must not allocate the file.
  const dir = tmp();
  try {
    const big = 1 << 30;
    const header = {
      big: { dtype: 'U8', shape: [big], data_offsets: [0, big] },
      small: { dtype: 'F32', shape: [2], data_offsets: [big, big + 8] },
    };
    const json = Buffer.from(JSON.stringify(header));
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(json.length));
    const p = join(dir, 'big.safetensors');
    const fd = openSync(p, 'w');
    writeSync(fd, prefix);
    writeSync(fd, json);
    const dataStart = 8 + json.length;
    ftruncateSync(fd, dataStart + big + 8);
    writeSync(fd, bytesOf(new Float32Array([3.5, -1])), 0, 8, dataStart + big);
    closeSync(fd);
    const before = process.memoryUsage().rss;
    const h = readSafetensorsHeader(p);
    assert.equal(h.tensors.get('big')!.byteLength, big);
    const small = withSafetensorsFile(p, (f) => f.read('small'));
    assert.deepEqual([...(typedView('F32', small) as Float32Array)], [3.5, -1]);
    const grown = process.memoryUsage().rss - before;
    assert.ok(grown < 200 * 1024 * 1024, `rss grew by ${grown} bytes`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
