/**
 * Worker-thread entry that scores RNN rows for a cache node (started by {@link loadRnnInWorker}):
 * it loads one artifact with its own TensorFlow.js backend, then answers batches of histories with
 * each row's most likely actions, so the network's passes never hold the node's event loop.
 */
import { parentPort } from 'node:worker_threads';
import { loadRnnArtifact } from '../rnn/artifact';
import type { RnnModel } from '../rnn/rnn-model';
import { TopNBuffer } from '../util/top-n';
import type { RowReply, RowRequest } from './worker-rnn';

if (parentPort !== null) {
  const port = parentPort;
  let model: RnnModel | null = null;
  let queue: Promise<void> = Promise.resolve();
  const handle = async (req: RowRequest): Promise<void> => {
    if (req.type === 'load') {
      try {
        model = await loadRnnArtifact(req.bytes);
        port.postMessage({ type: 'loaded', window: model.config.historyLength, vocabularySize: model.vocabularySize } satisfies RowReply);
      } catch (error) {
        port.postMessage({ type: 'error', id: -1, message: error instanceof Error ? error.message : String(error) } satisfies RowReply);
      }
      return;
    }
    if (req.type !== 'score') return;
    try {
      if (model === null) throw new Error('no model loaded');
      const n = req.lengths.length;
      const refs = [];
      for (let i = 0, at = 0; i < n; at += req.lengths[i]!, i++) refs.push({ seq: req.flat.subarray(at, at + req.lengths[i]!), len: req.lengths[i]! });
      const dense = model.predictBatch(refs);
      const V = model.vocabularySize;
      const keep = Math.min(req.keep, V);
      const actions = new Int32Array(n * keep);
      const probs = new Float32Array(n * keep);
      const sizes = new Int32Array(n);
      const buf = new TopNBuffer(keep);
      for (let i = 0; i < n; i++) {
        buf.reset(keep);
        for (let a = 0; a < V; a++) {
          const p = dense[i * V + a]!;
          if (!buf.full || p > buf.floor) buf.offer(a, p);
        }
        sizes[i] = buf.size;
        actions.set(buf.actions.subarray(0, buf.size), i * keep);
        for (let j = 0; j < buf.size; j++) probs[i * keep + j] = buf.scores[j]!;
      }
      const reply: RowReply = { type: 'rows', id: req.id, keep, actions, probs, sizes };
      port.postMessage(reply, [actions.buffer, probs.buffer, sizes.buffer]);
    } catch (error) {
      port.postMessage({ type: 'error', id: req.id, message: error instanceof Error ? error.message : String(error) } satisfies RowReply);
    }
  };
  port.on('message', (req: RowRequest) => {
    if (req.type === 'close') {
      model?.dispose();
      port.close();
      return;
    }
    queue = queue.then(() => handle(req));
  });
}
