import type * as TF from '@tensorflow/tfjs';
import { dirname, join } from 'node:path';
import { PredictionError } from '../errors';

/** TensorFlow.js namespace type (the runtime module is loaded lazily, see {@link loadTf}). */
export type Tf = typeof TF;

/** Backend in use: native bindings, WebAssembly, or plain JavaScript. */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

let tfModule: Tf | null = null;
let ready: Promise<BackendName> | null = null;

/**
 * The TensorFlow.js module, required on first use so that Markov-only users of this library do
 * not pay its start-up time and memory.
 */
export function loadTf(): Tf {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  tfModule ??= require('@tensorflow/tfjs') as Tf;
  return tfModule;
}

/** Options of {@link initBackend}. */
export interface BackendOptions {
  /** Restrict the candidates (default: tensorflow, then wasm, then cpu). */
  readonly candidates?: readonly BackendName[];
  /** Where to report which backend was chosen and why others were skipped. */
  readonly log?: (message: string) => void;
}

/**
 * Chooses the backend once per thread: `@tensorflow/tfjs-node` when it loads, else the wasm
 * backend (wasm files served from the package's own `dist/`, so it works offline), else cpu.
 */
export function initBackend(options: BackendOptions = {}): Promise<BackendName> {
  ready ??= choose(options).catch((err: unknown) => {
    ready = null;
    throw err;
  });
  return ready;
}

async function choose(options: BackendOptions): Promise<BackendName> {
  const log = options.log ?? ((m: string) => void process.stderr.write(`[prediction-core] ${m}\n`));
  const tf = loadTf();
  const order = options.candidates ?? ['tensorflow', 'wasm', 'cpu'];
  for (const name of order) {
    try {
      if (name === 'tensorflow') {
        // Optional native bindings; not installable everywhere, hence the guarded require.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        require('@tensorflow/tfjs-node');
      } else if (name === 'wasm') {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const wasm = require('@tensorflow/tfjs-backend-wasm') as { setWasmPaths(p: string): void };
        const dist = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
        wasm.setWasmPaths(`${dist}/`);
      }
      if (await tf.setBackend(name)) {
        await tf.ready();
        log(`TensorFlow.js backend: ${name}`);
        return name;
      }
      log(`TensorFlow.js backend ${name} did not initialise; trying the next one`);
    } catch (err) {
      log(`TensorFlow.js backend ${name} unavailable (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
    }
  }
  throw new PredictionError('PREDICTION.BACKEND_UNAVAILABLE', `No TensorFlow.js backend among ${order.join(', ')} could start.`);
}
