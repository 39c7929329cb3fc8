import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The compiled training-worker entry of prediction-core (`dist/libs/prediction-core/src/rnn/
 * train-worker.js`). The compiled service would find it by itself; from TypeScript sources
 * (ts-jest) the library's default points at a `.ts` folder, so the compiled copy is used
 * (`npm test` builds first). Undefined when there is none: the library's default then applies.
 */
export function trainWorkerPath(from: string = __dirname): string | undefined {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) {
      const candidate = join(dir, 'dist', 'libs', 'prediction-core', 'src', 'rnn', 'train-worker.js');
      return existsSync(candidate) ? candidate : undefined;
    }
  }
  return undefined;
}
