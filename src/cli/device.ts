import { UsageError } from './command.js';

/**
 * Checks a `--device` value before any work: its form (cpu, cuda, cuda:N), and for CUDA that libtorch sees such a
 * device, so the user gets "no CUDA device" instead of an aten message from deep inside the first upload.
 */
export async function checkDevice(device: string, flag = 'device'): Promise<void> {
  const m = /^(cpu|cuda)(?::(\d+))?$/.exec(device);
  if (!m || (m[1] === 'cpu' && m[2] !== undefined)) throw new UsageError(`--${flag} must be cpu or cuda[:N], got '${device}'`);
  if (m[1] === 'cpu') return;
  const { computeInfo } = await import('../tensor/runtime.js');
  const info = computeInfo();
  const index = m[2] === undefined ? 0 : Number(m[2]);
  if (!info.cuda || info.cudaDevices === 0) {
    throw new UsageError(`--${flag} ${device}: libtorch ${info.torch} sees no CUDA device (this build or machine has no CUDA); use --${flag} cpu`);
  }
  if (index >= info.cudaDevices) throw new UsageError(`--${flag} ${device}: only ${info.cudaDevices} CUDA device(s) (cuda:0..cuda:${info.cudaDevices - 1})`);
}
